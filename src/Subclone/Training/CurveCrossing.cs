namespace Subclone.Training;

/// <summary>
/// Where a validation curve first reaches a target value, read between evaluations: a curve evaluated every 25
/// steps that crosses the target between steps 100 and 125 reached it at, say, 110 rather than at 125, so a
/// speed-up is not rounded to the evaluation grid.
/// </summary>
public static class CurveCrossing
{
    /// <summary>
    /// The x (a step, a count of tokens, an epoch) at which the curve of (x, value) points, in order of x, first
    /// reaches <paramref name="target"/> or below, interpolated linearly between the last point above the target and
    /// the first at or below it; the first point's x when it already is at or below; null when no point reaches it.
    /// </summary>
    public static double? FirstReaching(IReadOnlyList<(double X, double Value)> curve, double target)
    {
        for (int i = 0; i < curve.Count; i++)
        {
            var (x, value) = curve[i];
            if (value > target) continue;
            if (i == 0) return x;
            var (x0, value0) = curve[i - 1];
            // value0 > target >= value: the straight line between the two evaluations meets the target in between.
            return x0 + (value0 - target) / (value0 - value) * (x - x0);
        }
        return null;
    }
}
