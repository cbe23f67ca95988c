namespace Subclone.Checkpoints.Hub;

/// <summary>
/// What a HEAD on a resolve URL says about one file: the commit it was resolved at, its ETag (the blob's name in the
/// cache: a git blob sha1 for small files, the content's sha256 for LFS files), its size, and where to GET it (the
/// CDN location of an LFS file, else the resolve URL). <see cref="Exists"/> is false for a 404, with the Hub's
/// X-Error-Code (EntryNotFound, RevisionNotFound, RepoNotFound) when it sent one.
/// </summary>
internal sealed record HubFileMetadata(bool Exists, string? Commit, string? Etag, long? Size, Uri Location, string? ErrorCode)
{
    /// <summary>A 64-hex ETag is the sha256 of an LFS file's content, which the download is checked against.</summary>
    public bool EtagIsSha256 => Etag is { Length: 64 } e && e.All(char.IsAsciiHexDigitLower);
}
