namespace Subclone.Checkpoints.Hub;

/// <summary>
/// The local Hub cache, laid out exactly as Python's huggingface_hub lays it out so both reuse each other's downloads:
/// <c>models--org--name/blobs/&lt;etag&gt;</c> holds each file's bytes once, <c>refs/&lt;revision&gt;</c> holds the commit hash
/// the revision last resolved to, and <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> are relative symlinks to the blobs.
/// </summary>
public sealed class HubCache(string root)
{
    /// <summary>The cache directory (huggingface_hub's HF_HUB_CACHE).</summary>
    public string Root { get; } = root;

    /// <summary>The model's folder: models--org--name.</summary>
    public string RepoFolder(HubModelId id) => Path.Combine(Root, id.CacheFolderName);

    /// <summary>Where the file with this etag (its sha256, or git blob hash) is stored once.</summary>
    public string BlobPath(HubModelId id, string etag) => Path.Combine(RepoFolder(id), "blobs", etag);

    /// <summary>The lock file Python's huggingface_hub holds (an flock, as .NET's FileShare.None is on Unix) while it downloads a blob.</summary>
    public string LockPath(HubModelId id, string etag) => Path.Combine(Root, ".locks", id.CacheFolderName, etag + ".lock");

    /// <summary>Where a blob is downloaded to before it is complete and verified; a later download resumes it.</summary>
    public string IncompletePath(HubModelId id, string etag) => BlobPath(id, etag) + ".incomplete";

    /// <summary>The file holding the commit hash <paramref name="revision"/> resolved to.</summary>
    public string RefPath(HubModelId id, string revision) => Path.Combine(RepoFolder(id), "refs", revision);

    /// <summary>The snapshot of <paramref name="commit"/>: the model's files as symlinks to their blobs.</summary>
    public string SnapshotFolder(HubModelId id, string commit) => Path.Combine(RepoFolder(id), "snapshots", commit);

    /// <summary>The commit the id's revision resolves to without the network: the ref file's content, or the revision itself
    /// when it is a commit hash; null when the cache has never seen the revision.</summary>
    public string? CachedCommit(HubModelId id)
    {
        string refPath = RefPath(id, id.Revision);
        if (File.Exists(refPath))
        {
            string commit = File.ReadAllText(refPath).Trim();
            if (commit.Length > 0) return commit;
        }
        return id.RevisionIsCommit ? id.Revision : null;
    }

    /// <summary>Records what a revision resolved to. As in Python: no ref for a revision that is itself the commit, no trailing newline.</summary>
    public void WriteRef(HubModelId id, string commit)
    {
        if (id.Revision == commit) return;
        string refPath = RefPath(id, id.Revision);
        if (File.Exists(refPath) && File.ReadAllText(refPath) == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        string temp = refPath + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, commit);
        File.Move(temp, refPath, overwrite: true);
    }

    /// <summary>Points <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> at its blob with a relative symlink (<c>../../blobs/&lt;etag&gt;</c>), replacing
    /// whatever was there. Where symlinks are not allowed (Windows without developer mode) the blob is copied, as Python does.</summary>
    public string Link(HubModelId id, string commit, string file, string etag)
    {
        string pointer = Path.Combine(SnapshotFolder(id, commit), file);
        string blob = BlobPath(id, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        string target = Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob);
        var existing = new FileInfo(pointer);
        if (existing.LinkTarget == target) return pointer;
        if (existing.Exists || existing.LinkTarget is not null) existing.Delete();
        try
        {
            File.CreateSymbolicLink(pointer, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Copy(blob, pointer, overwrite: true);
        }
        return pointer;
    }

    /// <summary>Remembers that a file does not exist at a commit (<c>.no_exist/&lt;commit&gt;/&lt;file&gt;</c>), as Python does for optional files.</summary>
    public void MarkMissing(HubModelId id, string commit, string file)
    {
        string marker = Path.Combine(RepoFolder(id), ".no_exist", commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        if (!File.Exists(marker)) File.WriteAllBytes(marker, []);
    }
}
