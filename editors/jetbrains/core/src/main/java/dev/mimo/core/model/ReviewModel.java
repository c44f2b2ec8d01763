package dev.mimo.core.model;

import dev.mimo.core.Payloads.FileReview;
import dev.mimo.core.Payloads.Hunk;
import dev.mimo.core.Payloads.ReviewGetResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Turns a mimo.review.get result into pickable hunks, labels and previews (mirrors reviewModel.ts). */
public final class ReviewModel {
    private ReviewModel() {}

    public static final class HunkChoice {
        public final String hunkId;
        public final String path;
        public final String label;
        public final String description;
        public final String detail;
        public final String state;
        public final Hunk hunk;

        HunkChoice(String path, FileReview f, Hunk h) {
            this.hunkId = h.id;
            this.path = path;
            this.label = path + " " + h.header;
            this.description = f.status + ", -" + h.old.size() + " +" + h.added.size() + (f.modifiedSince ? ", changed since" : "");
            this.detail = firstChanged(h);
            this.state = h.state;
            this.hunk = h;
        }

        @Override
        public String toString() {
            return label + " [" + state + "]";
        }
    }

    static String bare(String line) {
        if (line.endsWith("\r\n")) return line.substring(0, line.length() - 2);
        if (line.endsWith("\n")) return line.substring(0, line.length() - 1);
        return line;
    }

    static String firstChanged(Hunk h) {
        for (String l : h.added) if (!l.isBlank()) return "+ " + l.trim();
        for (String l : h.old) if (!l.isBlank()) return "- " + l.trim();
        return "";
    }

    /** Hunks of every file in order; only pending ones unless all is asked for. */
    public static List<HunkChoice> hunkChoices(ReviewGetResult review, boolean onlyPending) {
        List<HunkChoice> out = new ArrayList<>();
        for (FileReview f : review.files) {
            for (Hunk h : f.hunks) {
                if (onlyPending && !"pending".equals(h.state)) continue;
                out.add(new HunkChoice(f.path, f, h));
            }
        }
        return out;
    }

    public static int pendingCount(ReviewGetResult review) {
        int n = 0;
        for (FileReview f : review.files) for (Hunk h : f.hunks) if ("pending".equals(h.state)) n++;
        return n;
    }

    /** The hunk as a small unified diff (the server's lines keep their endings: each diff line ends once). */
    public static String hunkPreview(String path, Hunk h) {
        StringBuilder sb = new StringBuilder();
        sb.append("--- a/").append(path).append('\n').append("+++ b/").append(path).append('\n').append(h.header).append('\n');
        for (String l : h.old) sb.append('-').append(bare(l)).append('\n');
        for (String l : h.added) sb.append('+').append(bare(l)).append('\n');
        return sb.toString();
    }

    /** The hunk's two sides, for a side-by-side diff viewer. */
    public static String[] hunkSides(Hunk h) {
        return new String[] {String.join("", h.old), String.join("", h.added)};
    }

    /** A pending hunk placed in the current text of its file (the server's currentLine). */
    public static final class PlacedHunk {
        public final String path;
        public final String hunkId;
        /** 0-based first line of the proposed lines; for a pure deletion, the line the removed lines go back before */
        public final int line;
        public final int newLines;

        PlacedHunk(String path, Hunk h) {
            this.path = path;
            this.hunkId = h.id;
            this.line = h.currentLine;
            this.newLines = h.added.size();
        }
    }

    public static final class PlacedFile {
        public final String path;
        public final List<PlacedHunk> hunks;
        /** pending hunks the server could not place (the user changed their lines) */
        public final int unplaced;

        PlacedFile(String path, List<PlacedHunk> hunks, int unplaced) {
            this.path = path;
            this.hunks = hunks;
            this.unplaced = unplaced;
        }
    }

    /** Pending hunks per file, in file order, where the editor would put its Accept / Reject. */
    public static List<PlacedFile> placedFiles(ReviewGetResult review) {
        List<PlacedFile> out = new ArrayList<>();
        for (FileReview f : review.files) {
            List<PlacedHunk> placed = new ArrayList<>();
            int pending = 0;
            for (Hunk h : f.hunks) {
                if (!"pending".equals(h.state)) continue;
                pending++;
                if (h.currentLine != null) placed.add(new PlacedHunk(f.path, h));
            }
            if (pending == 0) continue;
            placed.sort(Comparator.comparingInt(p -> p.line));
            out.add(new PlacedFile(f.path, placed, pending - placed.size()));
        }
        return out;
    }
}
