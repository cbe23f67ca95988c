using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Subclone.Checkpoints.Hub;

namespace Subclone.Tests.Hub;

/// <summary>A repository the fake Hub serves: files at one commit, reachable by each of its revisions and by the commit hash.</summary>
internal sealed record FakeRepo(string Id, IReadOnlyDictionary<string, byte[]> Files)
{
    public string Commit { get; init; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
    public string[] Revisions { get; init; } = ["main"];
    public string? RequiredToken { get; init; }
}

/// <summary>
/// The Hub as huggingface_hub sees it, on 127.0.0.1: HEAD/GET on /{repo}/resolve/{revision}/{file} answer small files
/// directly (ETag: git blob sha1) and redirect LFS files (*.safetensors) with 302 to a second server on another port
/// playing the CDN (X-Linked-Etag: sha256, X-Linked-Size); X-Repo-Commit on every answer; Range on both; 401/403 for
/// a gated repository, 404 with X-Error-Code RepoNotFound, RevisionNotFound or EntryNotFound. Faults can be queued:
/// a CDN answer cut short, or stalled, once; or corrupted bytes.
/// </summary>
internal sealed class FakeHub : IDisposable
{
    readonly ConcurrentDictionary<string, FakeRepo> _repos = new();
    readonly ConcurrentDictionary<string, ConcurrentQueue<Func<Reply, Reply>>> _faults = new();
    readonly ConcurrentDictionary<string, bool> _corrupt = new();

    public LocalHttpServer Hub { get; }
    public LocalHttpServer Cdn { get; }

    public FakeHub()
    {
        Hub = new LocalHttpServer(AnswerHub);
        Cdn = new LocalHttpServer(AnswerCdn);
    }

    public void Dispose()
    {
        Hub.Dispose();
        Cdn.Dispose();
    }

    public FakeRepo Add(FakeRepo repo) => _repos[repo.Id] = repo;

    public IReadOnlyList<RecordedRequest> AllRequests => [.. Hub.Requests, .. Cdn.Requests];

    /// <summary>Settings pointing at this server and <paramref name="cache"/>, retrying at once so tests stay fast.</summary>
    public HubSettings Settings(string cache, string? token = null, bool offline = false) => new()
    {
        Endpoint = Hub.BaseUrl, CacheDirectory = cache, Token = token, Offline = offline,
        RetryDelay = TimeSpan.Zero, ReadTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The next CDN GET of the content with this sha256 sends only <paramref name="bytes"/> bytes, then closes.</summary>
    public void DropOnce(string sha256, int bytes) => Queue(sha256, r => r with { SendBytes = bytes });

    /// <summary>The next CDN GET of the content sends <paramref name="bytes"/> bytes, then goes silent for <paramref name="stall"/>.</summary>
    public void StallOnce(string sha256, int bytes, TimeSpan stall) => Queue(sha256, r => r with { SendBytes = bytes, StallAfterSending = stall });

    /// <summary>The CDN serves the content with this sha256 with one byte flipped, the same length.</summary>
    public void Corrupt(string sha256) => _corrupt[sha256] = true;

    void Queue(string sha256, Func<Reply, Reply> fault) => _faults.GetOrAdd(sha256, _ => new()).Enqueue(fault);

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal);

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>A git blob's object id, which the Hub sends as the ETag of a non-LFS file.</summary>
    public static string GitBlobSha1(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    /// <summary>The name the file's blob has in the cache: sha256 for LFS files, git sha1 for the rest.</summary>
    public static string Etag(string file, byte[] content) => IsLfs(file) ? Sha256(content) : GitBlobSha1(content);

    Reply AnswerHub(RecordedRequest request)
    {
        string path = request.Target.Split('?')[0];
        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve < 0) return Error(404, "EntryNotFound", null);
        string repoId = path[1..resolve];
        string rest = path[(resolve + "/resolve/".Length)..];
        int slash = rest.IndexOf('/');
        string revision = Uri.UnescapeDataString(rest[..slash]);
        string file = Uri.UnescapeDataString(rest[(slash + 1)..]);

        if (!_repos.TryGetValue(repoId, out var repo)) return Error(404, "RepoNotFound", null);
        if (repo.RequiredToken is string token)
        {
            string? auth = request.Header("Authorization");
            if (auth is null) return Error(401, "GatedRepo", null);
            if (auth != $"Bearer {token}") return Error(403, "GatedRepo", null);
        }
        if (!repo.Revisions.Contains(revision) && revision != repo.Commit) return Error(404, "RevisionNotFound", null);
        if (!repo.Files.TryGetValue(file, out var content)) return Error(404, "EntryNotFound", repo.Commit);

        if (IsLfs(file))
        {
            string sha = Sha256(content);
            var body = Encoding.ASCII.GetBytes($"Found. Redirecting to {Cdn.BaseUrl}/repos/{sha}");
            return new Reply(302, new Dictionary<string, string>
            {
                ["Location"] = $"{Cdn.BaseUrl}/repos/{sha}?X-Amz-Signature=fake",
                ["X-Repo-Commit"] = repo.Commit,
                ["X-Linked-Etag"] = $"\"{sha}\"",
                ["X-Linked-Size"] = content.Length.ToString(),
                // The ETag of the redirect itself is the LFS pointer's, not the content's: the client must prefer X-Linked-Etag.
                ["ETag"] = $"\"{GitBlobSha1(Encoding.ASCII.GetBytes(sha))}\"",
            }, body);
        }
        return Ranged(request, content, new Dictionary<string, string>
        {
            ["X-Repo-Commit"] = repo.Commit,
            ["ETag"] = $"\"{GitBlobSha1(content)}\"",
        });
    }

    Reply AnswerCdn(RecordedRequest request)
    {
        string sha = request.Target.Split('?')[0]["/repos/".Length..];
        var content = _repos.Values.SelectMany(r => r.Files.Values).FirstOrDefault(c => Sha256(c) == sha);
        if (content is null) return new Reply(404, new Dictionary<string, string>(), []);
        if (_corrupt.ContainsKey(sha))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }
        var reply = Ranged(request, content, new Dictionary<string, string> { ["ETag"] = $"\"cdn-{sha[..16]}\"" });
        if (request.Method == "GET" && _faults.TryGetValue(sha, out var faults) && faults.TryDequeue(out var fault)) reply = fault(reply);
        return reply;
    }

    /// <summary>The whole content, or for "Range: bytes=N-" the rest from N (206), as both the Hub and the CDN serve files.</summary>
    static Reply Ranged(RecordedRequest request, byte[] content, Dictionary<string, string> headers)
    {
        if (request.Header("Range") is string range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            long from = long.Parse(range["bytes=".Length..^1]);
            if (from >= content.Length)
                return new Reply(416, new Dictionary<string, string>(headers) { ["Content-Range"] = $"bytes */{content.Length}" }, []);
            return new Reply(206, new Dictionary<string, string>(headers) { ["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}" },
                content[(int)from..]);
        }
        return new Reply(200, headers, content);
    }

    static Reply Error(int status, string code, string? commit)
    {
        var headers = new Dictionary<string, string> { ["X-Error-Code"] = code };
        if (commit is not null) headers["X-Repo-Commit"] = commit;
        return new Reply(status, headers, Encoding.ASCII.GetBytes($"{{\"error\":\"{code}\"}}"));
    }
}
