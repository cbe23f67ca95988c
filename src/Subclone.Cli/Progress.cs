using Spectre.Console;

namespace Subclone.Cli;

/// <summary>Progress on long work, on stderr so --json output stays one clean object on stdout.</summary>
public static class Progress
{
    static IAnsiConsole ErrorConsole(CliIo io) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Error) });

    /// <summary>Runs <paramref name="work"/> with a progress bar of <paramref name="total"/> steps (a plain line when not interactive).</summary>
    public static T Run<T>(CliIo io, bool quiet, string label, int total, Func<IProgress<(int Done, int Total)>, T> work)
    {
        var console = ErrorConsole(io);
        if (quiet || !console.Profile.Capabilities.Interactive)
        {
            if (!quiet) io.Error.WriteLine($"{label}: {total} steps");
            return work(new Progress<(int, int)>(_ => { }));
        }
        T result = default!;
        console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(label, maxValue: total);
                result = work(new SyncProgress(p => task.Value = p.Done));
            });
        return result;
    }

    /// <summary>
    /// Like <see cref="Run{T}"/>, with a status text beside the bar (step, loss, speed) that the work updates.
    /// Not interactive: the status is printed as a line about twenty times over the run, and at the end.
    /// </summary>
    public static T RunWithStatus<T>(CliIo io, bool quiet, int total, int start, Func<Action<int, string>, T> work)
    {
        var console = ErrorConsole(io);
        if (quiet) return work((_, _) => { });
        if (!console.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, total / 20);
            return work((done, text) => { if (done % every == 0 || done == total) io.Error.WriteLine(text); });
        }
        T result = default!;
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: total);
                task.Value = start;
                result = work((done, text) =>
                {
                    task.Value = done;
                    task.Description = Markup.Escape(text);
                });
            });
        return result;
    }

    /// <summary>A one-line status writer (silent with --json).</summary>
    public static Action<string> Status(CliIo io, bool quiet) => message => { if (!quiet) io.Error.WriteLine(message); };

    sealed class SyncProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
