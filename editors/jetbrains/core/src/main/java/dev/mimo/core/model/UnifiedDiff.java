package dev.mimo.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the unified diffs the server sends (a step's diff in mimo/task/checkpoint, mimo.checkpoint.diff) into
 * per-file sides for a two-pane diff viewer: the left side holds each hunk's context and removed lines, the
 * right side its context and added lines, hunks separated by a marker line naming the skipped lines. The
 * server does not send whole files, so the sides are the diff's excerpts, not the full files.
 */
public final class UnifiedDiff {
    public static final class FileDiff {
        public final String oldPath;
        public final String newPath;
        public final List<String> hunkHeaders = new ArrayList<>();
        final StringBuilder left = new StringBuilder();
        final StringBuilder right = new StringBuilder();
        int added;
        int removed;

        FileDiff(String oldPath, String newPath) {
            this.oldPath = oldPath;
            this.newPath = newPath;
        }

        /** The path to show: the new one, or the old one for a deleted file. */
        public String path() {
            return newPath != null ? newPath : oldPath;
        }

        public String left() {
            return left.toString();
        }

        public String right() {
            return right.toString();
        }

        public int added() {
            return added;
        }

        public int removed() {
            return removed;
        }

        public boolean isNew() {
            return oldPath == null;
        }

        public boolean isDeleted() {
            return newPath == null;
        }
    }

    private UnifiedDiff() {}

    static String stripPrefix(String p) {
        p = p.trim();
        int tab = p.indexOf('\t');
        if (tab >= 0) p = p.substring(0, tab);
        if (p.equals("/dev/null")) return null;
        if (p.startsWith("a/") || p.startsWith("b/")) return p.substring(2);
        return p;
    }

    public static List<FileDiff> parse(String diff) {
        List<FileDiff> files = new ArrayList<>();
        if (diff == null || diff.isEmpty()) return files;
        String[] lines = diff.split("\n", -1);
        FileDiff cur = null;
        int oldLeft = 0;
        int newLeft = 0;
        int lastOldEnd = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            boolean inHunk = cur != null && (oldLeft > 0 || newLeft > 0);
            if (!inHunk && line.startsWith("--- ") && i + 1 < lines.length && lines[i + 1].startsWith("+++ ")) {
                cur = new FileDiff(stripPrefix(line.substring(4)), stripPrefix(lines[i + 1].substring(4)));
                files.add(cur);
                lastOldEnd = 0;
                i++;
                continue;
            }
            if (cur != null && !inHunk && line.startsWith("@@")) {
                int[] h = header(line);
                if (h == null) continue;
                int oldStart = h[0];
                oldLeft = h[1];
                newLeft = h[3];
                // "-a,0" (a pure insertion) goes after line a: its first old line would be a + 1
                int firstOld = oldLeft == 0 ? oldStart + 1 : oldStart;
                int skipped = firstOld - 1 - lastOldEnd;
                if (skipped > 0) {
                    String marker = "\u22ef " + skipped + " unchanged line(s) \u22ef\n";
                    cur.left.append(marker);
                    cur.right.append(marker);
                }
                lastOldEnd = firstOld - 1 + oldLeft;
                cur.hunkHeaders.add(line);
                continue;
            }
            if (!inHunk || line.isEmpty() && i == lines.length - 1) continue;
            if (line.startsWith("\\")) continue; // "\ No newline at end of file"
            char c = line.isEmpty() ? ' ' : line.charAt(0);
            String text = line.isEmpty() ? "" : line.substring(1);
            if (c == '-') {
                cur.left.append(text).append('\n');
                cur.removed++;
                oldLeft--;
            } else if (c == '+') {
                cur.right.append(text).append('\n');
                cur.added++;
                newLeft--;
            } else {
                cur.left.append(text).append('\n');
                cur.right.append(text).append('\n');
                oldLeft--;
                newLeft--;
            }
        }
        return files;
    }

    /** {oldStart, oldLines, newStart, newLines} of "@@ -a,b +c,d @@", or null. */
    static int[] header(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^@@ -(\\d+)(?:,(\\d+))? \\+(\\d+)(?:,(\\d+))? @@").matcher(line);
        if (!m.find()) return null;
        return new int[] {Integer.parseInt(m.group(1)), m.group(2) == null ? 1 : Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)), m.group(4) == null ? 1 : Integer.parseInt(m.group(4))};
    }
}
