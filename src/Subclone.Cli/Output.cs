using System.Globalization;
using Spectre.Console;

namespace Subclone.Cli;

/// <summary>What commands print on stdout beside --json: a key/value table, and the training progress line.</summary>
public static class Output
{
    /// <summary>A Spectre console writing to the command's stdout.</summary>
    public static IAnsiConsole Console(CliIo io) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out) });

    /// <summary><paramref name="result"/> as one JSON line (<paramref name="json"/>) or as a two-column table.</summary>
    public static void KeyValues(CliIo io, bool json, JsonObject result)
    {
        if (json) { io.WriteJson(result); return; }
        var table = new Table().AddColumn("field").AddColumn("value").HideHeaders().Border(TableBorder.Rounded);
        foreach (var (key, value) in result) table.AddRow(key, Markup.Escape(value?.ToString() ?? ""));
        Console(io).Write(table);
    }

    /// <summary>
    /// Runs a training (<paramref name="train"/>) of <paramref name="total"/> steps from <paramref name="start"/> under a
    /// progress bar whose status is the latest row ("[label: ]step s/n loss … val … rate"); quiet with --json.
    /// </summary>
    public static TrainingSummary Training(CliIo io, bool quiet, string? label, int total, int start, Func<IProgress<StepMetrics>, TrainingSummary> train) =>
        Progress.RunWithStatus(io, quiet, total, start, report =>
            train(new StepReporter(row => report(row.Step, Describe(label, row, total)))));

    static string Describe(string? label, StepMetrics row, int total)
    {
        var c = CultureInfo.InvariantCulture;
        string text = (label is null ? "" : $"{label}: ") + $"step {row.Step}/{total}";
        if (row.TrainLoss is double loss) text += string.Format(c, " loss {0:F3}", loss);
        if (row.Validation is double val) text += string.Format(c, " val {0:F3}", val);
        if (row.SeenPerSecond > 0) text += string.Format(c, " {0:F0} {1}/s", row.SeenPerSecond, Abbreviation(row.Unit));
        return text;
    }

    static string Abbreviation(string unit) => unit switch { "tokens" => "tok", "images" => "img", _ => unit };

    /// <summary>Reports on the training thread, at once (System.Progress would post to the thread pool).</summary>
    sealed class StepReporter(Action<StepMetrics> report) : IProgress<StepMetrics>
    {
        public void Report(StepMetrics value) => report(value);
    }
}
