using Subclone.Cloning;
using Subclone.Models;

namespace Subclone.Search;

/// <summary>
/// The uniform child shapes a search scores: a coarse grid of depths × widths × FFN widths, each legal for the
/// parent's family (<see cref="CloneTarget.Apply"/> validates it) and within the budget. The grid is bounded: at most
/// <see cref="MaxDepths"/> depths (every depth for a parent that shallow, else evenly spaced), widths at eighths of
/// the parent's (query heads in whole KV groups, the parent's queries per group kept; hidden = heads × head_dim where
/// the family ties them, else a multiple of 8), FFN widths at eighths of the parent's. At most 16 × 8 × 8 = 1,024
/// shapes are counted (from the parameter table, no model built), and the ones within the budget are thinned evenly to
/// the requested number.
/// </summary>
public static class ShapeSpace
{
    /// <summary>The most depths the grid tries.</summary>
    public const int MaxDepths = 16;

    /// <summary>The fractions of the parent's widths the grid tries: eighths.</summary>
    public static readonly double[] Fractions = [1, 7 / 8.0, 3 / 4.0, 5 / 8.0, 1 / 2.0, 3 / 8.0, 1 / 4.0, 1 / 8.0];

    /// <summary>The depths tried for a parent of <paramref name="layers"/> blocks, deepest first.</summary>
    public static int[] Depths(int layers) => layers <= MaxDepths
        ? [.. Enumerable.Range(1, layers).Reverse()]
        : [.. Enumerable.Range(0, MaxDepths).Select(i => (int)Math.Round(layers - i * (layers - 1) / (MaxDepths - 1.0))).Distinct()];

    /// <summary>(hidden, heads, kv heads) at each width fraction, widest first, without repeats.</summary>
    public static IReadOnlyList<(int Hidden, int Heads, int KvHeads)> Widths(ModelConfig parent)
    {
        int perKv = parent.Heads / parent.KvHeads;
        var widths = new List<(int, int, int)>();
        foreach (double f in Fractions)
        {
            int kv = Math.Max(1, (int)Math.Round(parent.KvHeads * f));
            int hidden = parent.Family.FreeHeadDim ? RoundWidth(parent.Hidden, f) : kv * perKv * parent.HeadDim;
            if (!widths.Contains((hidden, kv * perKv, kv))) widths.Add((hidden, kv * perKv, kv));
        }
        return widths;
    }

    /// <summary>FFN widths at each fraction, widest first, without repeats.</summary>
    public static int[] FfnWidths(ModelConfig parent) => [.. Fractions.Select(f => RoundWidth(parent.Ffn, f)).Distinct()];

    /// <summary>n × f, to a multiple of 8 when n is wide enough for that to matter little (at least 1).</summary>
    static int RoundWidth(int n, double f)
    {
        int unit = n >= 64 ? 8 : 1;
        return Math.Clamp((int)Math.Round(n * f / unit) * unit, 1, n);
    }

    /// <summary>
    /// Every grid shape of <paramref name="parent"/> within <paramref name="budget"/> (the parent's own shape excluded),
    /// thinned evenly to at most <paramref name="limit"/>, in grid order (deepest, widest first). The shape <c>clone
    /// --params</c> would pick is added when it is within the budget and not on the grid, and never thinned away.
    /// Throws a <see cref="UserInputException"/> naming the budget when no shape fits.
    /// </summary>
    public static SearchSpace Enumerate(ModelConfig parent, SearchBudget budget, int limit)
    {
        if (limit < 1) throw new UserInputException($"--candidates must be positive, got {limit}");
        if (parent.Moe is not null)
            throw new UserInputException($"search cuts uniform dense shapes; {parent.ArchitectureName} has experts (cut them with clone --experts first)");
        double parentCount = budget.Measure(parent);
        if (budget.Value >= parentCount)
            throw new UserInputException($"{budget.Option} {budget.Value:N0} is not below the parent's {parentCount:N0}: there is nothing to search");
        var depths = Depths(parent.Layers);
        var widths = Widths(parent);
        var ffns = FfnWidths(parent);
        var within = new List<ShapeCandidate>();
        int counted = 0;
        foreach (int layers in depths)
            foreach (var (hidden, heads, kv) in widths)
                foreach (int ffn in ffns)
                {
                    counted++;
                    var target = new CloneTarget(hidden, layers, heads, kv, ffn);
                    if (Candidate(parent, target, budget) is { } c && !SameShape(c.Config, parent)) within.Add(c);
                }
        var paramsShape = budget.Kind == BudgetKind.Parameters ? ParamsShape(parent, (long)budget.Value, budget) : null;
        if (within.Count == 0 && paramsShape is null)
            throw new UserInputException($"{budget.Option}: no uniform child of {parent.ArchitectureName} (hidden {parent.Hidden}, layers {parent.Layers}, " +
                $"heads {parent.Heads}/{parent.KvHeads}, ffn {parent.Ffn}) has {budget}");
        List<ShapeCandidate> kept = within.Count <= limit ? [.. within] : [.. ClonePlanner.Evenly(within.Count, limit).Select(i => within[i])];
        if (paramsShape is not null)
        {
            int onGrid = kept.FindIndex(c => SameShape(c.Config, paramsShape.Config));
            if (onGrid >= 0) kept[onGrid] = kept[onGrid] with { IsParamsShape = true };
            else if (kept.Count < limit) kept.Add(paramsShape);
            else kept[^1] = paramsShape;
        }
        return new SearchSpace(kept, depths, widths, ffns, counted, within.Count);
    }

    /// <summary>The shape clone --params picks, marked, when it is within the budget.</summary>
    static ShapeCandidate? ParamsShape(ModelConfig parent, long budget, SearchBudget window)
    {
        CloneTarget target;
        try { target = CloneTarget.FromParameterBudget(parent, budget); }
        catch (UserInputException) { return null; }
        return Candidate(parent, target, window) is { } c && !SameShape(c.Config, parent) ? c with { IsParamsShape = true } : null;
    }

    /// <summary>The candidate for <paramref name="target"/> when it is legal for the family and within the budget.</summary>
    static ShapeCandidate? Candidate(ModelConfig parent, CloneTarget target, SearchBudget budget)
    {
        ModelConfig child;
        try { child = target.Apply(parent); }
        catch (UserInputException) { return null; }
        if (!budget.Contains(child)) return null;
        return new ShapeCandidate(target with { Hidden = child.Hidden, Layers = child.Layers, Heads = child.Heads, KvHeads = child.KvHeads, Ffn = child.Ffn },
            child, child.Family.ParameterCount(child), InferenceFlops.PerToken(child, budget.Context));
    }

    static bool SameShape(ModelConfig a, ModelConfig b) =>
        a.Hidden == b.Hidden && a.Layers == b.Layers && a.Heads == b.Heads && a.KvHeads == b.KvHeads && a.Ffn == b.Ffn;
}

/// <summary>The candidates a search scores, and the grid they came from.</summary>
/// <param name="Candidates">The shapes kept, in grid order.</param>
/// <param name="Depths">The depths tried.</param>
/// <param name="Widths">(hidden, heads, kv heads) tried.</param>
/// <param name="FfnWidths">The FFN widths tried.</param>
/// <param name="Counted">Grid shapes counted.</param>
/// <param name="WithinBudget">Grid shapes legal and within the budget, before thinning.</param>
public sealed record SearchSpace(IReadOnlyList<ShapeCandidate> Candidates, int[] Depths, IReadOnlyList<(int Hidden, int Heads, int KvHeads)> Widths,
    int[] FfnWidths, int Counted, int WithinBudget);
