using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Subclone.Tests.Hub;

/// <summary>One request as the server saw it; header names compare case-insensitively.</summary>
internal sealed record RecordedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// An answer: status, headers, body. A GET gets the body, a HEAD only its headers. <see cref="SendBytes"/> cuts the body
/// short (the connection then closes, as a dropped one does); <see cref="StallAfterSending"/> stops sending without closing.
/// </summary>
internal sealed record Reply(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public int? SendBytes { get; init; }
    public TimeSpan StallAfterSending { get; init; }
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 and an ephemeral port (HttpListener cannot take port 0): one request per
/// connection, answered by a handler, every request recorded. Enough to play the Hub and its CDN byte for byte,
/// including dropped and stalled connections that a real server cannot be asked to produce.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly Func<RecordedRequest, Reply> _handler;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public LocalHttpServer(Func<RecordedRequest, Reply> handler)
    {
        _handler = handler;
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequest(stream);
                if (request is null) return;
                _requests.Enqueue(request);
                Reply reply;
                try { reply = _handler(request); }
                catch (Exception e) { reply = new Reply(500, new Dictionary<string, string>(), Encoding.UTF8.GetBytes(e.ToString())); }
                await Write(stream, request.Method, reply);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The client went away (e.g. it timed out a stalled reply): nothing to answer.
            }
        }
    }

    static async Task<RecordedRequest?> ReadRequest(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new RecordedRequest(parts[0], parts[1], headers);
    }

    async Task Write(NetworkStream stream, string method, Reply reply)
    {
        var head = new StringBuilder($"HTTP/1.1 {reply.Status} {ReasonPhrase(reply.Status)}\r\n");
        foreach (var (name, value) in reply.Headers) head.Append($"{name}: {value}\r\n");
        if (!reply.Headers.ContainsKey("Content-Length")) head.Append($"Content-Length: {reply.Body.Length}\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (method == "HEAD") return;
        int count = Math.Min(reply.SendBytes ?? reply.Body.Length, reply.Body.Length);
        await stream.WriteAsync(reply.Body.AsMemory(0, count));
        await stream.FlushAsync();
        if (reply.StallAfterSending > TimeSpan.Zero) await Task.Delay(reply.StallAfterSending, _stop.Token);
    }

    static string ReasonPhrase(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect", 401 => "Unauthorized",
        403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error", _ => "Status",
    };
}
