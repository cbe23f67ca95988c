namespace Subclone.Checkpoints.Hub;

/// <summary>
/// Where the Hugging Face Hub and its local cache are, read from the same environment variables as Python's
/// huggingface_hub so both share one cache. Built once and passed down rather than read deep inside, so tests
/// can point at a local server and a temporary cache without changing the process environment.
/// </summary>
public sealed record HubSettings
{
    /// <summary>The Hugging Face Hub's own URL.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The Hub's base URL, without a trailing slash (HF_ENDPOINT).</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The hub cache directory holding models--org--name folders (HF_HUB_CACHE, else HF_HOME/hub).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Sent as a bearer token to the Hub's own host only, never to the CDN it redirects to (HF_TOKEN).</summary>
    public string? Token { get; init; }

    /// <summary>Never touch the network: only models already in the cache can be used (HF_HUB_OFFLINE).</summary>
    public bool Offline { get; init; }

    /// <summary>How long one read (or connection attempt) may stall before it counts as a dropped connection (HF_HUB_DOWNLOAD_TIMEOUT).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per request; a download interrupted part-way resumes where it stopped.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before the first retry, doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The settings the process environment gives, as huggingface_hub reads them.</summary>
    public static HubSettings FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>
    /// Reads the settings as huggingface_hub's constants.py does: HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE),
    /// else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; HF_TOKEN (or
    /// HUGGING_FACE_HUB_TOKEN), else the token file `huggingface-cli login` writes (HF_TOKEN_PATH, else HF_HOME/token);
    /// HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) true for 1/ON/YES/TRUE; HF_ENDPOINT.
    /// </summary>
    public static HubSettings FromEnvironment(Func<string, string?> variable)
    {
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;
        string home = Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string Expand(string path) => path == "~" ? home
            : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;

        string hfHome = Expand(Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface"));
        string cache = Expand(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(hfHome, "hub"));
        string? token = (Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN"))?.Trim();
        if (string.IsNullOrEmpty(token)) token = ReadTokenFile(Expand(Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token")));
        var settings = new HubSettings
        {
            Endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            CacheDirectory = cache,
            Token = token,
            Offline = IsTrue(Get("HF_HUB_OFFLINE") ?? Get("TRANSFORMERS_OFFLINE")),
        };
        if (double.TryParse(Get("HF_HUB_DOWNLOAD_TIMEOUT"), System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0)
            settings = settings with { ReadTimeout = TimeSpan.FromSeconds(seconds) };
        return settings;
    }

    static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    static string? ReadTokenFile(string path)
    {
        try
        {
            string token = File.ReadAllText(path).Trim();
            return token.Length > 0 ? token : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
