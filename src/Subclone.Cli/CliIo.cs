using System.Text.Json;
using Subclone.Checkpoints.Hub;

namespace Subclone.Cli;

/// <summary>The command's output streams and Hub settings, and the one place user errors become a line on stderr and exit code 2.</summary>
public sealed class CliIo(TextWriter stdout, TextWriter stderr, HubSettings? hub = null)
{
    public const int UserError = 2;

    /// <summary>--allow-nan, an option of every command: load parents with NaN/Inf weights, with a warning.</summary>
    public System.CommandLine.Option<bool> AllowNan { get; } = new("--allow-nan")
    {
        Description = "Load models whose weights contain NaN or Inf (refused by default)",
        Recursive = true,
    };

    /// <summary>Cancelled by Ctrl+C: long work checks it and stops without leaving partial output.</summary>
    public CancellationToken Interrupt { get; init; }

    /// <summary>The conventional exit code of a process stopped by SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// Whether progress bars and status lines go to stderr. Off unless stderr is a terminal (or SUBCLONE_PROGRESS=1), so
    /// that a failure seen by a script is exactly one line, "subclone: error: …"; warnings and errors are always printed.
    /// </summary>
    public bool ShowProgress { get; init; }

    /// <summary>The environment variable that turns progress lines on when stderr is not a terminal (a log file).</summary>
    public const string ProgressVariable = "SUBCLONE_PROGRESS";

    /// <summary>Progress on <paramref name="stderr"/>: when it is the process's own, not redirected, or SUBCLONE_PROGRESS=1.</summary>
    public static bool ProgressByDefault(TextWriter stderr) =>
        Environment.GetEnvironmentVariable(ProgressVariable) == "1" || (ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>
    /// How a command that stops cleanly on Ctrl+C ends: when the interrupt stopped its work early, one line saying
    /// what was kept (<paramref name="kept"/>) and exit code 130; otherwise 0. Program.Main holds the one handler:
    /// the first Ctrl+C cancels <see cref="Interrupt"/>, a second ends the process at once; commands install none.
    /// </summary>
    public int Finish(bool stoppedEarly, string kept)
    {
        if (!stoppedEarly || !Interrupt.IsCancellationRequested) return 0;
        Error.WriteLine($"subclone: interrupted; {kept}");
        return Interrupted;
    }

    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    readonly Lazy<HubSettings> _hub = new(() => hub ?? HubSettings.FromEnvironment());

    /// <summary>Where Hub ids are downloaded from and cached: the environment's settings unless a test passed its own.</summary>
    public HubSettings Hub => _hub.Value;

    /// <summary>Loads MODEL as every command does: Hub ids downloaded (with progress unless quiet), --allow-nan
    /// honoured and its warnings printed.</summary>
    public ModelSource LoadModel(System.CommandLine.ParseResult r, string spec, bool quiet = false)
    {
        var source = ModelArgument.Load(this, spec, quiet, r.GetValue(AllowNan));
        foreach (var warning in source.Warnings) Error.WriteLine($"subclone: warning: {warning}");
        return source;
    }

    static string OneLineOf(string message) => message.ReplaceLineEndings(" ");

    // Relaxed escaping keeps names such as "subclone+distill" readable; the output is not embedded in HTML.
    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void WriteJson(JsonNode node) => Out.WriteLine(FiniteJson.Of(node).ToJsonString(Compact));

    /// <summary>Runs a command body: bad input (files, shapes, arguments) → one line and exit code 2.</summary>
    public int Guard(Func<int> body)
    {
        try { return body(); }
        catch (OperationCanceledException) when (Interrupt.IsCancellationRequested)
        {
            Error.WriteLine("subclone: interrupted; no partial output was left");
            return Interrupted;
        }
        catch (Exception e) when (e is CheckpointException or UserInputException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            Error.WriteLine($"subclone: error: {e.Message}");
            return UserError;
        }
        catch (ArgumentException e)
        {
            Error.WriteLine($"subclone: error: {e.Message}");
            return UserError;
        }
        catch (UnauthorizedAccessException e)
        {
            // A file or folder the user may not read or write: the environment, not a bug.
            Error.WriteLine($"subclone: error: {OneLineOf(e.Message)}");
            return UserError;
        }
    }
}
