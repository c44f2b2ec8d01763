// Review: mimo.review.get's hunks as a list (the tool window's Review tab), and the texts of a checkpoint
// for Visual Studio's diff view, rebuilt from the server's unified diffs. Mirrors
// editors/vscode/src/reviewModel.ts. No Visual Studio types.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Mimo.Core
{
    public sealed class HunkChoice
    {
        public string HunkId { get; set; }
        public string Path { get; set; }
        public string Label { get; set; }
        public string Description { get; set; }
        public string Detail { get; set; }
        public string State { get; set; }
        /// <summary>0-based line of the hunk in the file now; null: not found (a reject would be a conflict).</summary>
        public long? Line { get; set; }
    }

    public static class ReviewModel
    {
        public static string HunkLabel(string path, Hunk h) { return path + " " + h.Header; }

        private static string Bare(string l) { return l.TrimEnd('\n').TrimEnd('\r'); }

        private static string FirstChanged(Hunk h)
        {
            var neu = h.New ?? new List<string>();
            var old = h.Old ?? new List<string>();
            string line = neu.FirstOrDefault(l => l.Trim().Length > 0) ?? old.FirstOrDefault(l => l.Trim().Length > 0) ?? "";
            string sign = neu.Any(l => l.Trim().Length > 0) ? "+" : "-";
            return line.Length > 0 ? sign + " " + line.Trim() : "";
        }

        public static List<HunkChoice> Choices(ReviewGetResult review, bool onlyPending = true)
        {
            var r = new List<HunkChoice>();
            foreach (var f in review.Files ?? new List<FileReview>())
            {
                foreach (var h in f.Hunks ?? new List<Hunk>())
                {
                    if (onlyPending && h.State != "pending") continue;
                    r.Add(new HunkChoice
                    {
                        HunkId = h.Id,
                        Path = f.Path,
                        Label = HunkLabel(f.Path, h),
                        Description = f.Status + ", -" + (h.Old ?? new List<string>()).Count + " +" + (h.New ?? new List<string>()).Count + (f.ModifiedSince ? ", changed since" : ""),
                        Detail = FirstChanged(h),
                        State = h.State,
                        Line = h.CurrentLine,
                    });
                }
            }
            return r;
        }

        public static int PendingCount(ReviewGetResult review)
        {
            return (review.Files ?? new List<FileReview>()).Sum(f => (f.Hunks ?? new List<Hunk>()).Count(h => h.State == "pending"));
        }

        /// <summary>The hunk as a small unified diff, for a preview.</summary>
        public static string Preview(string path, Hunk h)
        {
            var sb = new StringBuilder();
            sb.Append("--- a/").Append(path).Append('\n').Append("+++ b/").Append(path).Append('\n').Append(h.Header).Append('\n');
            foreach (var l in h.Old ?? new List<string>()) sb.Append('-').Append(Bare(l)).Append('\n');
            foreach (var l in h.New ?? new List<string>()) sb.Append('+').Append(Bare(l)).Append('\n');
            return sb.ToString();
        }
    }

    /// <summary>One file of a unified diff.</summary>
    public sealed class FilePatch
    {
        /// <summary>Workspace-relative path before (null: the file was added) and after (null: deleted).</summary>
        public string OldPath;
        public string NewPath;
        public readonly List<PatchHunk> Hunks = new List<PatchHunk>();
        public string Path { get { return NewPath ?? OldPath; } }
    }

    public sealed class PatchHunk
    {
        public int OldStart, OldCount, NewStart, NewCount;
        /// <summary>Lines with their marker: ' ' context, '-' removed, '+' added (without line endings).</summary>
        public readonly List<string> Lines = new List<string>();
        /// <summary>The old / new side's last line has no line ending ("\ No newline at end of file").</summary>
        public bool OldNoEol, NewNoEol;
    }

    public static class UnifiedDiff
    {
        private static readonly Regex HunkHeader = new Regex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@");

        private static string StripPath(string p)
        {
            p = p.Split('\t')[0].Trim();
            if (p == "/dev/null") return null;
            if (p.StartsWith("a/", StringComparison.Ordinal) || p.StartsWith("b/", StringComparison.Ordinal)) return p.Substring(2);
            return p;
        }

        public static List<FilePatch> Parse(string diff)
        {
            var files = new List<FilePatch>();
            if (string.IsNullOrEmpty(diff)) return files;
            var lines = diff.Replace("\r\n", "\n").Split('\n');
            FilePatch file = null;
            PatchHunk hunk = null;
            int oldLeft = 0, newLeft = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                string l = lines[i];
                if (hunk != null && (oldLeft > 0 || newLeft > 0))
                {
                    if (l.StartsWith("\\", StringComparison.Ordinal)) continue; // handled below for the last line
                    char m = l.Length > 0 ? l[0] : ' ';
                    hunk.Lines.Add(l.Length > 0 ? l : " ");
                    if (m != '+') oldLeft--;
                    if (m != '-') newLeft--;
                    if (i + 1 < lines.Length && lines[i + 1].StartsWith("\\", StringComparison.Ordinal))
                    {
                        if (m == '-') hunk.OldNoEol = true;
                        else if (m == '+') hunk.NewNoEol = true;
                        else { hunk.OldNoEol = true; hunk.NewNoEol = true; }
                    }
                    continue;
                }
                if (l.StartsWith("\\", StringComparison.Ordinal) && hunk != null)
                {
                    var last = hunk.Lines.Count > 0 ? hunk.Lines[hunk.Lines.Count - 1][0] : ' ';
                    if (last == '-') hunk.OldNoEol = true;
                    else if (last == '+') hunk.NewNoEol = true;
                    else { hunk.OldNoEol = true; hunk.NewNoEol = true; }
                    continue;
                }
                if (l.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
                {
                    file = new FilePatch { OldPath = StripPath(l.Substring(4)), NewPath = StripPath(lines[i + 1].Substring(4)) };
                    files.Add(file);
                    hunk = null;
                    i++;
                    continue;
                }
                var m2 = HunkHeader.Match(l);
                if (m2.Success && file != null)
                {
                    hunk = new PatchHunk
                    {
                        OldStart = int.Parse(m2.Groups[1].Value, CultureInfo.InvariantCulture),
                        OldCount = m2.Groups[2].Success ? int.Parse(m2.Groups[2].Value, CultureInfo.InvariantCulture) : 1,
                        NewStart = int.Parse(m2.Groups[3].Value, CultureInfo.InvariantCulture),
                        NewCount = m2.Groups[4].Success ? int.Parse(m2.Groups[4].Value, CultureInfo.InvariantCulture) : 1,
                    };
                    oldLeft = hunk.OldCount;
                    newLeft = hunk.NewCount;
                    file.Hunks.Add(hunk);
                }
            }
            return files;
        }

        /// <summary>Lines of a text, each without its "\n"; and whether the text ends with "\n".</summary>
        private static List<string> SplitLines(string text, out bool finalEol)
        {
            finalEol = text.EndsWith("\n", StringComparison.Ordinal);
            var body = finalEol ? text.Substring(0, text.Length - 1) : text;
            return text.Length == 0 ? new List<string>() : body.Split('\n').ToList();
        }

        /// <summary>The old side of a patch, given the new side's text (null: the file does not exist).
        /// Throws when the text does not hold the patch's new lines where it says (the file changed since).</summary>
        public static string ReverseApply(string newText, FilePatch patch)
        {
            if (patch.OldPath == null) return null; // added by the patch: it did not exist before
            bool eol;
            var lines = SplitLines(newText ?? "", out eol);
            var result = new List<string>();
            bool oldEol = eol;
            int pos = 0; // index into lines
            foreach (var h in patch.Hunks)
            {
                int start = h.NewCount == 0 ? h.NewStart : h.NewStart - 1;
                if (start < pos || start > lines.Count) throw new InvalidOperationException("hunk " + h.NewStart + " of " + patch.Path + " is out of order or past the end");
                result.AddRange(lines.GetRange(pos, start - pos));
                pos = start;
                foreach (var l in h.Lines)
                {
                    char m = l[0];
                    string content = l.Substring(1);
                    if (m != '-')
                    {
                        if (pos >= lines.Count || lines[pos].TrimEnd('\r') != content.TrimEnd('\r'))
                            throw new InvalidOperationException(patch.Path + " line " + (pos + 1) + " is not what the diff says: the file changed since");
                        pos++;
                    }
                    if (m != '+') result.Add(content);
                }
                if (h.NewNoEol || h.OldNoEol) oldEol = !h.OldNoEol;
            }
            result.AddRange(lines.Skip(pos));
            if (patch.NewPath == null) oldEol = patch.Hunks.Count == 0 || !patch.Hunks[patch.Hunks.Count - 1].OldNoEol;
            string text = string.Join("\n", result);
            return result.Count == 0 ? "" : text + (oldEol ? "\n" : "");
        }
    }

    /// <summary>A file's text at a checkpoint, for the left / right side of Visual Studio's diff view:
    /// the current text with the diff (checkpoint -> working tree) taken back.</summary>
    public static class CheckpointTexts
    {
        /// <summary>The file's text at the checkpoint (null: it did not exist), from its current text
        /// (null: it does not exist now) and mimo.checkpoint.diff {fromCheckpoint = checkpoint} (to the working tree).</summary>
        public static string TextAt(string path, string currentText, string diffToWorkingTree)
        {
            var patch = UnifiedDiff.Parse(diffToWorkingTree).FirstOrDefault(p => p.NewPath == path || p.OldPath == path);
            if (patch == null) return currentText; // unchanged since
            return UnifiedDiff.ReverseApply(currentText, patch);
        }
    }
}
