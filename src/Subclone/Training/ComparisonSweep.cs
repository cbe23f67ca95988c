using System.Globalization;

namespace Subclone.Training;

/// <summary>
/// What a comparison repeats each init over: a grid of learning rates and weight decays (every init is trained at
/// every point and its best point kept, so starts are compared each at its own best optimiser setting), seeds
/// (mean, min and max of every figure), and step budgets (the speed-up as the budget grows).
/// </summary>
public sealed record ComparisonSweep
{
    /// <summary>Peak learning rates to try every init at; null: each init's preset only.</summary>
    public IReadOnlyList<double>? LearningRates { get; init; }
    /// <summary>Weight decays to try every init at; null: each init's preset only.</summary>
    public IReadOnlyList<double>? WeightDecays { get; init; }
    /// <summary>Sampler and initialisation seeds per run: the plan's seed, then the next ones.</summary>
    public int Seeds { get; init; } = 1;
    /// <summary>Multiples of the step budget to measure the speed-up at (1 is always measured); null: only 1.</summary>
    public IReadOnlyList<double>? Budgets { get; init; }

    /// <summary>Whether any grid is given (and so a best point is chosen per init).</summary>
    public bool HasGrid => LearningRates is not null || WeightDecays is not null;

    /// <summary>The budget multiples measured, 1 first.</summary>
    public IReadOnlyList<double> BudgetsWithBase => [1.0, .. (Budgets ?? []).Where(b => b != 1.0).Distinct()];

    /// <summary>Refuses values that cannot be swept, naming the option, before any work.</summary>
    public void Validate(int steps)
    {
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        if (LearningRates is { } lrs)
        {
            if (lrs.Count == 0) throw new UserInputException("--lr-grid names no learning rate");
            foreach (double lr in lrs)
                if (!(lr > 0 && double.IsFinite(lr))) throw new UserInputException($"--lr-grid: learning rates must be positive, got {F(lr)}");
        }
        if (WeightDecays is { } wds)
        {
            if (wds.Count == 0) throw new UserInputException("--wd-grid names no weight decay");
            foreach (double wd in wds)
                if (!(wd >= 0 && double.IsFinite(wd))) throw new UserInputException($"--wd-grid: weight decays must not be negative, got {F(wd)}");
        }
        if (Seeds < 1) throw new UserInputException($"--seeds must be at least 1, got {Seeds}");
        foreach (double budget in Budgets ?? [])
        {
            if (!(budget > 0 && double.IsFinite(budget))) throw new UserInputException($"--budgets: multiples of --steps must be positive, got {F(budget)}");
            double budgetSteps = budget * steps;
            if (Math.Abs(budgetSteps - Math.Round(budgetSteps)) > 1e-9 || Math.Round(budgetSteps) < 1)
                throw new UserInputException($"--budgets: {F(budget)} × --steps {steps} is not a whole number of steps");
        }
    }

    /// <summary>The steps of a run at <paramref name="budget"/> times <paramref name="steps"/>.</summary>
    public static int StepsAt(double budget, int steps) => (int)Math.Round(budget * steps);

    /// <summary>Parses a comma-separated list of numbers given to <paramref name="option"/>; one line naming the option and the bad item otherwise.</summary>
    public static IReadOnlyList<double> ParseList(string option, string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new UserInputException($"{option} names no value");
        return [.. items.Select(item => double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new UserInputException($"{option}: '{item}' is not a number"))];
    }
}
