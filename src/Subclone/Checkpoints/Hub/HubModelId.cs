using System.Text.RegularExpressions;

namespace Subclone.Checkpoints.Hub;

/// <summary>A model on the Hugging Face Hub: <c>name</c> or <c>org/name</c>, optionally <c>@revision</c> (branch, tag or commit).</summary>
public sealed partial record HubModelId(string RepoId, string Revision)
{
    /// <summary>The revision of an id without @revision.</summary>
    public const string DefaultRevision = "main";

    /// <summary>The repository's folder in the cache, as huggingface_hub names it.</summary>
    public string CacheFolderName => "models--" + RepoId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>A full 40-hex commit hash: Python's cache keeps no ref file for these, the snapshot is named by it.</summary>
    public bool RevisionIsCommit => CommitHash().IsMatch(Revision);

    /// <summary>The id as the user writes it: org/name, with @revision unless it is the default.</summary>
    public override string ToString() => Revision == DefaultRevision ? RepoId : $"{RepoId}@{Revision}";

    /// <summary>
    /// Parses a command-line model argument. Repository ids follow huggingface_hub's validate_repo_id (word
    /// characters, '-', '.'; at most one '/'; no '--' or '..'; at most 96 characters). Names that look like a
    /// model file (.bin, .safetensors, …) are refused so a mistyped local path is reported as a missing file,
    /// not looked up on the Hub.
    /// </summary>
    public static bool TryParse(string spec, out HubModelId id)
    {
        id = null!;
        int at = spec.IndexOf('@');
        string repo = at < 0 ? spec : spec[..at];
        string revision = at < 0 ? DefaultRevision : spec[(at + 1)..];
        if (repo.Length is 0 or > 96 || !RepoIdPattern().IsMatch(repo) || repo.Contains("--") || repo.Contains(".."))
            return false;
        if (FileLikeSuffixes.Any(s => repo.EndsWith(s, StringComparison.OrdinalIgnoreCase))) return false;
        if (!RevisionPattern().IsMatch(revision) || revision.Contains("..") || revision.Contains("//") || revision.EndsWith('/'))
            return false;
        id = new HubModelId(repo, revision);
        return true;
    }

    static readonly string[] FileLikeSuffixes = [".bin", ".safetensors", ".json", ".onnx", ".gguf", ".pt", ".pth", ".model", ".txt"];

    [GeneratedRegex(@"^([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?/)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")]
    private static partial Regex RepoIdPattern();

    // Branches, tags, commits and refs/pr/N; never an absolute or parent path, since it names a file under refs/.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")]
    private static partial Regex RevisionPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
