using System.Diagnostics;

namespace Subclone.Training;

/// <summary>
/// Where a whole comparison stands, for its progress line: which of its runs is starting and, from the pace of the
/// steps trained so far, about how long the rest will take (every run's steps counted, the budget sweep's too).
/// </summary>
public sealed class ComparisonClock(long totalSteps, int totalRuns)
{
    readonly Stopwatch _watch = Stopwatch.StartNew();
    long _stepsDone;
    int _runsStarted;

    /// <summary>Marks a run of <paramref name="steps"/> as finished (or stopped: its steps are spent either way).</summary>
    public void Finished(int steps) => _stepsDone += steps;

    /// <summary>The time left for the steps not yet trained, at the pace so far; null before any run finished.</summary>
    public TimeSpan? Left => _stepsDone == 0 ? null
        : TimeSpan.FromSeconds(_watch.Elapsed.TotalSeconds / _stepsDone * Math.Max(0, totalSteps - _stepsDone));

    /// <summary>The next run's label with its place and the time left: "subclone lr 0.001 … (run 3/12, ~4 min left)".</summary>
    public string Start(string run)
    {
        _runsStarted++;
        string left = Left is TimeSpan t ? $", ~{Format(t)} left" : "";
        return $"{run} (run {_runsStarted}/{totalRuns}{left})";
    }

    static string Format(TimeSpan t) =>
        t.TotalMinutes < 1 ? $"{Math.Max(1, (int)t.TotalSeconds)} s" : t.TotalHours < 1 ? $"{(int)Math.Round(t.TotalMinutes)} min" : $"{t.TotalHours:F1} h";
}
