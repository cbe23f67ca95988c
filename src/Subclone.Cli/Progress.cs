using Spectre.Console;
using Subclone.Checkpoints.Hub;

namespace Subclone.Cli;

/// <summary>Progress on long work, on stderr so --json output stays one clean object on stdout; shown only when
/// <see cref="CliIo.ShowProgress"/> (stderr is a terminal), so that a failing command's stderr is its one error line.</summary>
public static class Progress
{
    static IAnsiConsole ErrorConsole(CliIo io) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Error) });

    /// <summary>Runs <paramref name="work"/> with a progress bar of <paramref name="total"/> steps (a plain line when not interactive).</summary>
    public static T Run<T>(CliIo io, bool quiet, string label, int total, Func<IProgress<(int Done, int Total)>, T> work)
    {
        quiet |= !io.ShowProgress;
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
                result = work(new SyncProgress<(int Done, int Total)>(p => task.Value = p.Done));
            });
        return result;
    }

    /// <summary>
    /// Like <see cref="Run{T}"/>, with a status text beside the bar (step, loss, speed) that the work updates.
    /// Not interactive: the status is printed as a line about twenty times over the run, and at the end.
    /// </summary>
    public static T RunWithStatus<T>(CliIo io, bool quiet, int total, int start, Func<Action<int, string>, T> work)
    {
        quiet |= !io.ShowProgress;
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

    /// <summary>
    /// Runs a Hub download with a bar per file (bytes, speed, time left); when not interactive, one line per file as it
    /// starts. Reports arrive from the download's threads; Spectre's tasks are safe to update from any of them.
    /// </summary>
    public static T Downloads<T>(CliIo io, bool quiet, string label, Func<IProgress<HubDownloadProgress>, T> work)
    {
        quiet |= !io.ShowProgress;
        var console = ErrorConsole(io);
        if (quiet) return work(new SyncProgress<HubDownloadProgress>(_ => { }));
        if (!console.Profile.Capabilities.Interactive)
        {
            var announced = new HashSet<string>();
            return work(new SyncProgress<HubDownloadProgress>(p =>
            {
                lock (announced)
                {
                    // The label waits for the first file, so a download that fails at once prints only its error.
                    if (announced.Count == 0) io.Error.WriteLine(label);
                    if (announced.Add(p.File)) io.Error.WriteLine(p.Total is long total ? $"  {p.File} ({FormatBytes(total)})" : $"  {p.File}");
                }
            }));
        }
        T result = default!;
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work(new SyncProgress<HubDownloadProgress>(p =>
                {
                    ProgressTask task;
                    lock (tasks)
                        if (!tasks.TryGetValue(p.File, out task!))
                            tasks[p.File] = task = ctx.AddTask(Markup.Escape(p.File), maxValue: Math.Max(1, p.Total ?? 1));
                    if (p.Total is null) task.IsIndeterminate = true;
                    task.Value = p.Total is null ? 0 : p.Downloaded;
                }));
            });
        return result;
    }

    static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>A one-line status writer (silent with --json).</summary>
    public static Action<string> Status(CliIo io, bool quiet) => message => { if (!quiet && io.ShowProgress) io.Error.WriteLine(message); };

    /// <summary>Reports at once on the reporting thread (Progress&lt;T&gt; would post them later, out of order).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
