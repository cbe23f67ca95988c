using System.Globalization;
using Subclone.Models;

namespace Subclone.Search;

/// <summary>What a search budget counts: the child's parameters, or its estimated inference FLOPs per token.</summary>
public enum BudgetKind
{
    /// <summary>Parameters, from the family's parameter table (a tied head counted once).</summary>
    Parameters,
    /// <summary>Inference FLOPs per token (<see cref="InferenceFlops"/>).</summary>
    Flops,
}

/// <summary>
/// A budget the child must meet within ±<see cref="Tolerance"/>: a search looks at shapes that use the budget, not
/// at every smaller one (a child far below the budget is a different question).
/// </summary>
/// <param name="Kind">What is counted.</param>
/// <param name="Value">The target count.</param>
/// <param name="Context">Tokens of context the attention FLOPs are counted at.</param>
public sealed record SearchBudget(BudgetKind Kind, double Value, int Context)
{
    /// <summary>How far from <see cref="Value"/> a candidate may be, as a fraction of it.</summary>
    public const double Tolerance = 0.05;

    /// <summary>The smallest count within the budget.</summary>
    public double Low => Value * (1 - Tolerance);
    /// <summary>The largest count within the budget.</summary>
    public double High => Value * (1 + Tolerance);

    /// <summary>The option that set it, for messages.</summary>
    public string Option => Kind == BudgetKind.Parameters ? "--params" : "--flops";

    /// <summary>What a model of <paramref name="config"/> counts against this budget.</summary>
    public double Measure(ModelConfig config) =>
        Kind == BudgetKind.Parameters ? config.Family.ParameterCount(config) : InferenceFlops.PerToken(config, Context);

    /// <summary>Whether <paramref name="config"/> lies within ±5% of the budget.</summary>
    public bool Contains(ModelConfig config)
    {
        double v = Measure(config);
        return v >= Low && v <= High;
    }

    /// <summary>The budget in words: "40,000,000 parameters (±5%)".</summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0:N0} {1} (±{2:0}%)", Value,
        Kind == BudgetKind.Parameters ? "parameters" : $"FLOPs per token at {Context} tokens of context", Tolerance * 100);
}
