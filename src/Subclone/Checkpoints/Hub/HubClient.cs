using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Subclone.Checkpoints.Hub;

/// <summary>
/// The HTTP side of the Hub, as huggingface_hub's hf_hub_download talks to it: a HEAD on
/// <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> for the commit, ETag and size, then a GET (from the CDN location
/// the HEAD was redirected to, for LFS files) into <c>blobs/&lt;etag&gt;.incomplete</c>, resumed with Range after a
/// dropped connection, checked, and renamed to the blob.
/// </summary>
internal sealed partial class HubClient : IDisposable
{
    const int MaxRedirects = 10;
    static readonly string UserAgent = $"subclone/{typeof(HubClient).Assembly.GetName().Version?.ToString(3) ?? "0"}";

    readonly HubSettings _settings;
    readonly string _endpoint;
    readonly Uri _endpointUri;
    readonly HttpClient _http;

    public HubClient(HubSettings settings)
    {
        _settings = settings;
        _endpoint = settings.Endpoint.TrimEnd('/');
        if (!Uri.TryCreate(_endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new CheckpointException(settings.Endpoint, "is not an http(s) URL (HF_ENDPOINT)");
        _endpointUri = endpoint;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Redirects are followed by hand: the token may only go to the Hub's own host, never to the CDN.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.ReadTimeout,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public void Dispose() => _http.Dispose();

    public Uri ResolveUrl(HubModelId id, string revision, string file) =>
        new($"{_endpoint}/{id.RepoId}/resolve/{Uri.EscapeDataString(revision)}/{Uri.EscapeDataString(file)}");

    /// <summary>The file's metadata from a HEAD request, retried on transient failures. A 404 is an answer, not an error.</summary>
    public async Task<HubFileMetadata> HeadAsync(HubModelId id, string revision, string file, CancellationToken ct)
    {
        var url = ResolveUrl(id, revision, file);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await HeadOnceAsync(id, url, file, ct);
            }
            catch (Exception e) when (IsTransient(e, ct) && !IsUnreachable(e) && attempt < _settings.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), ct);
            }
            catch (Exception e) when (IsTransient(e, ct) && IsUnreachable(e))
            {
                throw new CheckpointException(id.ToString(), $"cannot reach {_endpoint} ({Reason(e)}) and the model is not in the cache at {_settings.CacheDirectory}");
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                throw new CheckpointException(id.ToString(), $"asking {_endpoint} about {file} failed after {attempt} attempts ({Reason(e)})");
            }
        }
    }

    async Task<HubFileMetadata> HeadOnceAsync(HubModelId id, Uri url, string file, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Head, url, null, ct);
        int status = (int)response.StatusCode;
        string? commit = Header(response, "X-Repo-Commit");
        string? errorCode = Header(response, "X-Error-Code");
        if (status == 404) return new HubFileMetadata(false, commit, null, null, url, errorCode);
        ThrowIfDenied(id, response);
        if (status is 429 or >= 500) throw new HubTransientException($"HTTP {status} for {file}");
        // An absolute redirect is the CDN serving an LFS file: the GET goes there; the file's headers are on this response.
        var location = IsRedirect(status) && response.Headers.Location is { IsAbsoluteUri: true } cdn ? cdn : url;
        if (location == url && !response.IsSuccessStatusCode)
            throw new CheckpointException(id.ToString(), $"the Hub answered HTTP {status} for {file}");

        string? etag = NormalizeEtag(Header(response, "X-Linked-Etag") ?? Header(response, "ETag"));
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked : response.Content.Headers.ContentLength;
        if (commit is null || etag is null)
            throw new CheckpointException(id.ToString(), $"{_endpoint} answered for {file} without X-Repo-Commit and ETag headers: it does not look like the Hugging Face Hub (check HF_ENDPOINT and proxy settings)");
        if (!CommitPattern().IsMatch(commit))
            throw new CheckpointException(id.ToString(), $"the Hub sent X-Repo-Commit '{commit}' for {file}, which is not a commit hash");
        if (!EtagPattern().IsMatch(etag))
            throw new CheckpointException(id.ToString(), $"the Hub sent ETag '{etag}' for {file}, which cannot name a cache file");
        return new HubFileMetadata(true, commit, etag, size, location, null);
    }

    /// <summary>
    /// Makes <c>blobs/&lt;etag&gt;</c> exist: downloads into <c>&lt;blob&gt;.incomplete</c>, resuming whatever an earlier attempt or
    /// run left there, checks size and (for LFS files) sha256, and renames it into place, so a blob is always complete.
    /// </summary>
    public async Task DownloadBlobAsync(HubModelId id, string file, HubFileMetadata meta, HubCache cache, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        string blobPath = cache.BlobPath(id, meta.Etag!);
        using var blobLock = await LockAsync(cache.LockPath(id, meta.Etag!), ct);
        // Whoever held the lock before us may have finished this very blob.
        if (File.Exists(blobPath)) return;
        string incomplete = cache.IncompletePath(id, meta.Etag!);
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        string? mismatch = null;
        await using (var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true))
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await DownloadAttemptAsync(file, id, meta, output, progress, ct);
                    break;
                }
                catch (Exception e) when (IsTransient(e, ct) && attempt < _settings.MaxAttempts)
                {
                    await Task.Delay(Backoff(attempt), ct);
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    throw new CheckpointException(id.ToString(), $"downloading {file} failed after {attempt} attempts ({Reason(e)}); run again to resume");
                }
            }
            if (meta.EtagIsSha256)
            {
                output.Position = 0;
                string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(output, ct));
                if (actual != meta.Etag) mismatch = actual;
            }
        }
        if (mismatch is not null)
        {
            // A corrupt partial file would otherwise be resumed forever.
            File.Delete(incomplete);
            throw new CheckpointException(id.ToString(), $"{file} as downloaded has sha256 {mismatch}, but the Hub says {meta.Etag}; the download was deleted, run again to retry");
        }
        File.Move(incomplete, blobPath, overwrite: true);
    }

    /// <summary>
    /// Takes the blob's lock file, waiting while another process (subclone, or Python's huggingface_hub, whose filelock
    /// is the same flock) downloads it. The OS drops the lock if that process dies, so the wait cannot outlive it.
    /// </summary>
    static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsHeldByAnother(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
    }

    // .NET reports a lock held elsewhere as an IOException whose HResult is flock's errno on Unix (EWOULDBLOCK: 11 on
    // Linux, 35 on macOS) and ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows. Other I/O errors must not be waited on.
    static bool IsHeldByAnother(IOException e) => e.GetType() == typeof(IOException)
        && (OperatingSystem.IsWindows() ? e.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
            : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11));

    async Task DownloadAttemptAsync(string file, HubModelId id, HubFileMetadata meta, FileStream output, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        long have = output.Length;
        if (meta.Size is long size)
        {
            if (have == size) return;
            if (have > size) { output.SetLength(0); have = 0; }
        }
        using var response = await SendAsync(HttpMethod.Get, meta.Location, have > 0 ? have : null, ct);
        int status = (int)response.StatusCode;
        if (status == 206)
        {
            if (response.Content.Headers.ContentRange?.From != have)
            {
                output.SetLength(0);
                throw new HubTransientException("the server resumed at another offset than asked");
            }
        }
        else if (status == 200)
        {
            // The server ignored the Range header: start over.
            if (have > 0) { output.SetLength(0); have = 0; }
        }
        else
        {
            ThrowIfDenied(id, response);
            if (status == 416) { output.SetLength(0); throw new HubTransientException("the server refused to resume"); }
            if (status is 429 or >= 500) throw new HubTransientException($"HTTP {status}");
            throw new CheckpointException(id.ToString(), $"the Hub answered HTTP {status} when downloading {file}");
        }

        output.Position = have;
        long done = have;
        progress?.Report(new HubDownloadProgress(file, done, meta.Size));
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[1 << 16];
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            stall.CancelAfter(_settings.ReadTimeout);
            int n;
            try
            {
                n = await body.ReadAsync(buffer, stall.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HubTransientException($"no data for {_settings.ReadTimeout.TotalSeconds:0.#} s");
            }
            if (n == 0) break;
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
            done += n;
            progress?.Report(new HubDownloadProgress(file, done, meta.Size));
        }
        await output.FlushAsync(ct);
        if (meta.Size is long expected && output.Length != expected)
        {
            if (output.Length > expected) output.SetLength(0);
            throw new HubTransientException($"the connection ended after {output.Length} of {expected} bytes");
        }
    }

    /// <summary>Sends one request, following redirects by hand: the token goes only to the endpoint's own host (as
    /// huggingface_hub drops it for a CDN). A HEAD follows only relative redirects (a renamed repository), as Python does.</summary>
    async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long? rangeFrom, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.UserAgent.ParseAdd(UserAgent);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            if (_settings.Token is not null && SameOrigin(url, _endpointUri))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
            if (rangeFrom is long from) request.Headers.Range = new RangeHeaderValue(from, null);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_settings.ReadTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HubTransientException($"no answer from {url.Authority} for {_settings.ReadTimeout.TotalSeconds:0.#} s");
            }
            var location = response.Headers.Location;
            if (!IsRedirect((int)response.StatusCode) || location is null) return response;
            if (method == HttpMethod.Head && location.IsAbsoluteUri) return response;
            response.Dispose();
            if (hop == MaxRedirects) throw new HubTransientException($"more than {MaxRedirects} redirects");
            url = new Uri(url, location);
        }
    }

    void ThrowIfDenied(HubModelId id, HttpResponseMessage response)
    {
        if ((int)response.StatusCode is not (401 or 403)) return;
        // The Hub answers 401 RepoNotFound for a repository it will not admit exists to this caller.
        string what = Header(response, "X-Error-Code") == "RepoNotFound" ? "no such model on the Hub, or access denied" : "access denied";
        throw new CheckpointException(id.ToString(), _settings.Token is null
            ? $"{what} (set HF_TOKEN)"
            : $"{what} with the HF_TOKEN given (a gated model whose terms the account has not accepted, or a token without read access)");
    }

    TimeSpan Backoff(int attempt) => _settings.RetryDelay * Math.Pow(2, attempt - 1);

    static bool IsRedirect(int status) => status is 301 or 302 or 303 or 307 or 308;

    static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.SafeUnescaped, StringComparison.OrdinalIgnoreCase) == 0;

    static bool IsTransient(Exception e, CancellationToken ct) =>
        e is HubTransientException or HttpRequestException or IOException && !ct.IsCancellationRequested;

    // Nothing listening or no such host: retrying would only make an offline user wait.
    static bool IsUnreachable(Exception e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    static string Reason(Exception e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message}: {inner.Message}" : e.Message;

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.NonValidated.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;

    /// <summary>As huggingface_hub's _normalize_etag: no weak-validator prefix, no quotes.</summary>
    static string? NormalizeEtag(string? etag)
    {
        if (etag is null) return null;
        if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
        etag = etag.Trim('"');
        return etag.Length > 0 ? etag : null;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    // The ETag becomes a file name under blobs/: nothing that could leave that folder.
    [GeneratedRegex(@"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,127}$")]
    private static partial Regex EtagPattern();
}
