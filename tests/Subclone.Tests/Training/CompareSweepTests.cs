using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using Subclone.Training;

namespace Subclone.Tests.Training;

/// <summary>compare's sweep: learning-rate grid (best-vs-best), seeds (mean, min, max), the distillation arm and budgets.</summary>
public class CompareSweepTests
{
    static readonly string[] TinyChild =
    [
        "--hidden", "16", "--heads", "2", "--ffn", "18", "--layers", "3", "--batch", "4", "--seq", "32", "--eval-every", "4", "--eval-batches", "2",
    ];

    static CliRunner.Result Compare(TempDir dir, params string[] args) =>
        CliRunner.Run([
            "compare", SharedData.Fixture("hf-tiny-random-gpt2"), "--data", SharedData.Data("tinystories/tinystories_valid_prefix.txt"),
            "--out", dir["cmp"], "--cache", dir["cache"], .. TinyChild, .. args, "--json",
        ]);

    [SharedFact]
    public void The_sweep_keeps_each_inits_best_grid_point_gives_seed_bands_a_distillation_arm_and_one_speedup_per_budget()
    {
        using var dir = new TempDir();
        // 1e-5 barely moves a child in 8 steps; 3e-3 clearly trains it: the grid must pick 3e-3 for every init, at its edge.
        // The presets are set inside the grid, so every run is a grid run.
        var result = Compare(dir, "--inits", "subclone,subclone+distill,random", "--steps", "8", "--lr-grid", "1e-5,3e-3",
            "--subclone-lr", "3e-3", "--random-lr", "3e-3", "--seeds", "2", "--budgets", "1,2");
        Assert.True(result.ExitCode == 0, result.Error);
        var summary = JsonNode.Parse(result.Out)!;

        var best = summary["best"]!["inits"]!.AsObject();
        Assert.Equal(["subclone", "subclone+distill", "random"], best.Select(kv => kv.Key));
        foreach (var (init, node) in best)
        {
            Assert.Equal(3e-3, (double)node!["best_lr"]!);
            Assert.True((bool)node["at_grid_edge"]!, $"{init}: the winner is the grid's highest LR");
            Assert.Contains("highest --lr-grid", (string)node["edge"]!);
            var grid = node["grid"]!.AsArray();
            Assert.Equal([1e-5, 3e-3], grid.Select(p => (double)p!["lr"]!));
            double low = (double)grid[0]!["final_loss"]!["mean"]!, high = (double)grid[1]!["final_loss"]!["mean"]!;
            Assert.True(high < low - 0.05, $"{init}: final {high} at 3e-3 vs {low} at 1e-5");
            Assert.Equal(high, (double)node["final_loss"]!["mean"]!);
        }

        // Two seeds: a band around the mean, and different seeds do differ (random's init and the batches move).
        var random = best["random"]!["final_loss"]!;
        double min = (double)random["min"]!, mean = (double)random["mean"]!, max = (double)random["max"]!;
        Assert.True(min <= mean && mean <= max && min < max, $"random's final loss over seeds: {min} {mean} {max}");
        Assert.Equal(2, (int)random["n"]!);
        Assert.Equal([0L, 1L], summary["seeds"]!.AsArray().Select(s => (long)s!));

        // The distillation arm starts where subclone starts, and the teacher term changes where it ends.
        var plain = best["subclone"]!; var distilled = best["subclone+distill"]!;
        Assert.Equal((double)plain["init_loss"]!["mean"]!, (double)distilled["init_loss"]!["mean"]!);
        Assert.NotEqual((double)plain["final_loss"]!["mean"]!, (double)distilled["final_loss"]!["mean"]!);

        // One speed-up per budget (1× = best-vs-best, 2× trained anew for 16 steps at each init's best point).
        var budgets = summary["budgets"]!.AsArray();
        Assert.Equal([1.0, 2.0], budgets.Select(b => (double)b!["budget"]!));
        Assert.Equal([8, 16], budgets.Select(b => (int)b!["steps"]!));
        Assert.All(budgets, b => Assert.Equal(1.0, (double)b!["inits"]!["random"]!["speedup_vs_random"]!["mean"]!));
        Assert.All(budgets, b => Assert.NotNull(b!["inits"]!["subclone"]!["final_loss"]));
        Assert.Equal(16, (double)budgets[1]!["inits"]!["random"]!["steps_to_random_final"]!["mean"]!);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir["cmp/speedup-budget.png"])[..4]);
        Assert.True(File.Exists(dir["cmp/loss-presets.png"]));

        // Every run is in metrics.csv under its own settings. The sweep's runs of a seed share its batches and init:
        // step 1's training loss (taken before any update) is the same at every grid point, and differs between seeds.
        var rows = File.ReadAllLines(dir["cmp/metrics.csv"]).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(3 * 2 * 2 + 3 * 2, rows.Select(c => (Init: c[0], Lr: c[7], Seed: c[9], Steps: c[10])).Distinct().Count());
        var firstLoss = rows.Where(c => c[0] == "random" && c[1] == "1" && c[10] == "8")
            .GroupBy(c => c[9]).ToDictionary(g => g.Key, g => g.Select(c => c[3]).ToList());
        Assert.All(firstLoss.Values, losses => Assert.Equal(2, losses.Count));
        Assert.All(firstLoss.Values, losses => Assert.Single(losses.Distinct()));
        Assert.NotEqual(firstLoss["0"][0], firstLoss["1"][0]);
        Assert.True(File.Exists(dir["cmp/random/lr0.003-wd0.1-seed1-steps16/model.safetensors"]));
    }

    [Fact]
    public void The_grid_keeps_the_point_with_the_lowest_mean_final_value_and_never_a_diverged_one()
    {
        static StepMetrics Eval(int step, double loss) => new(step, 0, null, loss, null, 0, 0, 0);
        ComparisonRun Run(double lr, long seed, double final, bool diverged = false) =>
            new("subclone", 10, lr, 0.1, [Eval(0, 6), Eval(10, final)]) { Seed = seed, Diverged = diverged };
        double[] lrs = [1e-4, 1e-3, 1e-2];
        var runs = new[]
        {
            Run(1e-4, 0, 5.0), Run(1e-4, 1, 5.2),
            Run(1e-3, 0, 4.0), Run(1e-3, 1, 4.4),          // best: mean 4.2, inside the grid
            Run(1e-2, 0, 3.0), Run(1e-2, 1, 3.0, diverged: true),
        };

        var choice = GridChoice.Of("subclone", runs, lrs, null);

        Assert.Equal(1e-3, choice.Best.LearningRate);
        Assert.Equal(4.2, choice.Best.FinalLoss!.Mean, 9);
        Assert.Null(choice.Edge);
        Assert.Equal(1, choice.Points.Single(p => p.LearningRate == 1e-2).Diverged);
        Assert.Equal("lowest --lr-grid value", GridChoice.Of("subclone", runs.Take(2).Append(Run(1e-3, 0, 5.5)), lrs, null).Edge);
    }

    [Theory]
    [InlineData("--lr-grid", "1e-3,fast", "--lr-grid: 'fast' is not a number")]
    [InlineData("--lr-grid", "1e-3,-1e-3", "--lr-grid: learning rates must be positive")]
    [InlineData("--wd-grid", "0.1,-0.1", "--wd-grid: weight decays must not be negative")]
    [InlineData("--seeds", "0", "--seeds 0")]
    [InlineData("--budgets", "1,0.3", "--budgets: 0.3 × --steps 8 is not a whole number of steps")]
    [InlineData("--budgets", "1,-2", "--budgets: multiples of --steps must be positive")]
    [InlineData("--inits", "subclone,distill", "distill")]
    public void Bad_sweep_options_are_refused_before_any_work_with_one_line_and_nothing_written(string option, string value, string message)
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("compare", "no-such-parent-is-loaded", "--out", dir["cmp"], "--steps", "8", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["cmp"]));
    }

    [SharedFact]
    public void The_distillation_arm_is_refused_for_an_image_parent_before_any_data_is_read()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("compare", SharedData.Fixture("vit-tiny"), "--data", dir["no-images-here"], "--out", dir["cmp"],
            "--ratio", "0.5", "--inits", "subclone+distill,random", "--steps", "4");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("subclone+distill is for decoders", result.Error);
        Assert.False(Directory.Exists(dir["cmp"]));
    }
}
