using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;

namespace Subclone.Training;

public static partial class Comparison
{
    /// <summary>One training run a comparison makes: an init at a learning rate and weight decay, a seed and a step count.</summary>
    readonly record struct Cell(ChildInit Init, double LearningRate, double WeightDecay, long Seed, int Steps);

    /// <summary>
    /// Trains every run of the plan through <see cref="TrainingLoop"/> on the task <paramref name="task"/> makes:
    /// each init at each grid point (and its preset) for each seed, then at each larger budget with its chosen
    /// point; runs of one seed share batches and, for random, initialisation. <paramref name="summarise"/> turns a
    /// set of runs into a <see cref="ComparisonResult"/> of the task's metric.
    /// </summary>
    static ComparisonOutcome TrainEach(ModelSource parent, ModelConfig childConfig, ImportanceScores? scores, ComparisonPlan plan, string outDir,
        Action<string>? status, ChildRunner? runChild, CancellationToken cancel, Func<ChildInit, (double, double)> paperPreset, string verb,
        Func<TransformerModel, int[], ChildInit, TrainingOptions, TrainingTask> task, Func<List<ComparisonRun>, int, ComparisonResult> summarise)
    {
        var sweep = plan.Sweep;
        int steps = plan.Training.Steps;
        var seeds = Enumerable.Range(0, sweep.Seeds).Select(k => plan.Training.Seed + k).ToList();
        var budgets = sweep.BudgetsWithBase;
        (double Lr, double Wd) Preset(ChildInit init) => plan.Presets.TryGetValue(init, out var preset) ? preset : paperPreset(init);
        // A grid axis not given stays at the init's preset value.
        var grid = plan.Inits.ToDictionary(init => init, init => sweep.HasGrid
            ? (from lr in sweep.LearningRates ?? [Preset(init).Lr] from wd in sweep.WeightDecays ?? [Preset(init).Wd] select (lr, wd)).ToList()
            : [Preset(init)]);
        var cells = (from init in plan.Inits
                     from point in grid[init].Append(Preset(init)).Distinct()
                     from seed in seeds
                     select new Cell(init, point.Item1, point.Item2, seed, steps)).ToList();
        int laterRuns = (budgets.Count - 1) * plan.Inits.Count * seeds.Count;
        long laterSteps = budgets.Skip(1).Sum(b => (long)ComparisonSweep.StepsAt(b, steps)) * plan.Inits.Count * seeds.Count;
        var clock = new ComparisonClock(cells.Sum(c => (long)c.Steps) + laterSteps, cells.Count + laterRuns);
        // One run per init keeps the layout a comparison always had (outDir/init); a sweep nests its runs.
        bool nested = cells.Count + laterRuns > plan.Inits.Count;

        ComparisonRun Train(Cell cell)
        {
            string name = ChildInits.Name(cell.Init);
            string point = $"lr {cell.LearningRate:G3} wd {cell.WeightDecay:G3} seed {cell.Seed}" + (cell.Steps != steps ? $" {cell.Steps} steps" : "");
            string directory = nested
                ? Path.Combine(outDir, name, $"lr{cell.LearningRate:G3}-wd{cell.WeightDecay:G3}-seed{cell.Seed}" + (cell.Steps != steps ? $"-steps{cell.Steps}" : ""))
                : Path.Combine(outDir, name);
            var (child, dims) = Build(parent.Model, childConfig, cell.Init, scores, plan, cell.Seed);
            var options = plan.Training with
            {
                LearningRate = cell.LearningRate, WeightDecay = cell.WeightDecay, MinLearningRate = cell.LearningRate / 10, Seed = cell.Seed, Steps = cell.Steps,
            };
            string label = clock.Start($"{name} {point}");
            ComparisonRun run;
            using (var loop = new TrainingLoop(task(child, dims, cell.Init, options), directory, companionSource: parent.Directory))
            {
                status?.Invoke($"{verb} {label}");
                bool diverged = false;
                try
                {
                    if (runChild is not null) runChild(label, cell.Steps, p => loop.Run(p, cancel));
                    else loop.Run(cancel: cancel);
                    // Ctrl+C: the run checkpointed the step it reached; the comparison has no result without every run.
                    cancel.ThrowIfCancellationRequested();
                }
                catch (TrainingDivergedException e) when (sweep.HasGrid)
                {
                    // Too high a learning rate for this start is a finding of the sweep, not the end of it.
                    diverged = true;
                    status?.Invoke($"{name} {point} diverged at step {e.Step}; the sweep goes on");
                }
                run = new ComparisonRun(name, child.ParameterCount(), cell.LearningRate, cell.WeightDecay, [.. loop.History]) { Seed = cell.Seed, Steps = cell.Steps, Diverged = diverged };
            }
            child.Dispose();
            // A compared child is kept as a model; a sweep's many runs are never resumed, so their optimizer state
            // (twice the model) is dropped to keep the disk free.
            if (nested) File.Delete(Path.Combine(directory, TrainingCheckpoint.OptimizerFile));
            clock.Finished(cell.Steps);
            return run;
        }

        var runs = cells.Select(Train).ToList();
        ComparisonResult At(Func<ChildInit, (double Lr, double Wd)> pointOf, IEnumerable<ComparisonRun> pool, int budgetSteps)
        {
            var chosen = pool.ToList();
            return summarise([.. plan.Inits.SelectMany(init => chosen.Where(r =>
                r.Init == ChildInits.Name(init) && (r.LearningRate, r.WeightDecay) == pointOf(init)))], budgetSteps);
        }

        var preset = At(Preset, runs, steps);
        List<GridChoice> choices = sweep.HasGrid
            ? [.. plan.Inits.Select(init => GridChoice.Of(ChildInits.Name(init),
                runs.Where(r => r.Init == ChildInits.Name(init) && grid[init].Contains((r.LearningRate, r.WeightDecay))),
                sweep.LearningRates, sweep.WeightDecays))]
            : [];
        (double Lr, double Wd) Chosen(ChildInit init) =>
            choices.FirstOrDefault(c => c.Init == ChildInits.Name(init)) is { } choice ? (choice.Best.LearningRate, choice.Best.WeightDecay) : Preset(init);
        var best = sweep.HasGrid ? At(Chosen, runs, steps) : null;

        // Larger budgets: every init at its chosen point (its best grid point, or its preset), same seeds.
        var budgetResults = new List<BudgetResult>();
        if (sweep.Budgets is not null)
        {
            budgetResults.Add(new BudgetResult(1, best ?? preset));
            foreach (double budget in budgets.Skip(1))
            {
                int budgetSteps = ComparisonSweep.StepsAt(budget, steps);
                var budgetRuns = (from init in plan.Inits from seed in seeds
                                  let point = Chosen(init)
                                  select Train(new Cell(init, point.Lr, point.Wd, seed, budgetSteps))).ToList();
                runs.AddRange(budgetRuns);
                budgetResults.Add(new BudgetResult(budget, At(Chosen, budgetRuns, budgetSteps)));
            }
        }
        return new ComparisonOutcome(preset) { Best = best, Grid = choices, Budgets = budgetResults, AllRuns = runs };
    }
}
