using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;

namespace Subclone.Cli;

/// <summary>The command's output streams, and the one place user errors become a line on stderr and exit code 2.</summary>
public sealed class CliIo(TextWriter stdout, TextWriter stderr)
{
    public const int UserError = 2;

    /// <summary>--allow-nan, an option of every command: load parents with NaN/Inf weights, with a warning.</summary>
    public System.CommandLine.Option<bool> AllowNan { get; } = new("--allow-nan")
    {
        Description = "Load models whose weights contain NaN or Inf (refused by default)",
        Recursive = true,
    };

    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>Loads MODEL as every command does, honouring --allow-nan and printing its warnings.</summary>
    public ModelSource LoadModel(System.CommandLine.ParseResult r, string spec)
    {
        var source = ModelSource.Load(spec, r.GetValue(AllowNan));
        foreach (var warning in source.Warnings) Error.WriteLine($"subclone: warning: {warning}");
        return source;
    }

    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public void WriteJson(JsonNode node) => Out.WriteLine(node.ToJsonString(Compact));

    /// <summary>Runs a command body: bad input (files, shapes, arguments) → one line and exit code 2.</summary>
    public int Guard(Func<int> body)
    {
        try { return body(); }
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
    }
}
