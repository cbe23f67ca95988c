using System.Text.Json.Nodes;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Search;
using Subclone.Tests.Cli;
using Subclone.Tests.Cli.Defects;
using Subclone.Tests.Support;
using Subclone.Tests.Training;
using Subclone.Training;

namespace Subclone.Tests.Search;

/// <summary>
/// subclone search on a tiny GPT-2 (hf-tiny-random-gpt2, 112k parameters) with a few steps of tiny stories: the files
/// it writes, the ranking by probe loss, the winner written as clone writes it and reproducible byte for byte with a
/// seed, what Ctrl+C keeps, and one-line refusals of bad budgets with nothing written.
/// </summary>
public class SearchCommandTests
{
    /// <summary>The base line with <paramref name="extra"/> options added, replacing the base's value of any option it gives.</summary>
    static string[] Args(TempDir dir, string outName, params string[] extra)
    {
        string[] baseLine = ["--candidates", "4", "--top", "2", "--probe-steps", "3", "--lr-grid", "1e-3,3e-3", "--batch", "2", "--seq", "16",
            "--eval-batches", "2", "--seed", "5"];
        var options = baseLine.Chunk(2).Where(pair => !extra.Contains(pair[0])).SelectMany(pair => pair);
        return ["search", SharedData.Fixture("hf-tiny-random-gpt2"), "--out", dir[outName], "--data", dir["stories.txt"], "--cache", dir["cache"],
            .. options, .. extra];
    }

    static TempDir WithStories()
    {
        var dir = new TempDir();
        TrainingTestKit.WriteStories(dir["stories.txt"], 60);
        return dir;
    }

    [Fact]
    public void Search_writes_a_ranked_search_json_a_plot_and_the_winner_reproducibly()
    {
        using var dir = WithStories();
        var first = CliRunner.Run(Args(dir, "a", "--params", "80k"));
        Assert.True(first.ExitCode == 0, first.Error);
        var second = CliRunner.Run(Args(dir, "b", "--params", "80k", "--json"));
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("rank", first.Out);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["a"], "search.json")))!;
        Assert.True(new FileInfo(Path.Combine(dir["a"], "search.png")).Length > 1000);
        var candidates = json["candidates"]!.AsArray();
        Assert.Equal(4, candidates.Count);
        var probed = candidates.Where(c => c!["probe_loss"] is not null).ToList();
        Assert.Equal(2, probed.Count);
        // Ranked by the loss after the probe: the probed come first, in order of probe loss, and the winner is the first.
        Assert.Equal(probed, candidates.Take(2));
        Assert.True((double)probed[0]!["probe_loss"]! <= (double)probed[1]!["probe_loss"]!);
        Assert.Equal((long)probed[0]!["params"]!, (long)json["winner"]!["params"]!);
        foreach (var c in candidates) Assert.InRange((long)c!["params"]!, 76_000, 84_000);
        Assert.Equal(2, json["probe"]!["lr_grid"]!.AsArray().Count);

        // The winner is the clone of its shape: config, weights and clone_map.json, the same bytes from the same seed.
        string childA = Path.Combine(dir["a"], Subclone.Cli.Commands.SearchCommand.ChildDirectory), childB = Path.Combine(dir["b"], Subclone.Cli.Commands.SearchCommand.ChildDirectory);
        var map = JsonNode.Parse(File.ReadAllText(Path.Combine(childA, CloneReport.FileName)))!;
        Assert.Equal((int)probed[0]!["hidden"]!, (int)map["target"]!["hidden"]!);
        Assert.Equal((int)probed[0]!["layers"]!, (int)map["target"]!["layers"]!);
        Assert.Equal("influence", (string)map["map"]!["depth"]!);
        foreach (string file in new[] { "model.safetensors", "config.json", CloneReport.FileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(childA, file)), File.ReadAllBytes(Path.Combine(childB, file)));
        var printed = JsonNode.Parse(second.Out)!;
        Assert.Equal((string)json["winner"]!["shape"]!, (string)printed["winner"]!["shape"]!);
        Assert.Empty(Directory.GetDirectories(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void A_flops_budget_keeps_every_candidate_within_five_percent_of_it()
    {
        using var dir = WithStories();
        var run = CliRunner.Run(Args(dir, "f", "--flops", "120k", "--top", "1", "--lr-grid", "1e-3"));
        Assert.True(run.ExitCode == 0, run.Error);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["f"], "search.json")))!;
        Assert.Equal("flops_per_token", (string)json["budget"]!["kind"]!);
        foreach (var c in json["candidates"]!.AsArray()) Assert.InRange((double)c!["flops_per_token"]!, 114_000, 126_000);
        Assert.True(Directory.Exists(Path.Combine(dir["f"], Subclone.Cli.Commands.SearchCommand.ChildDirectory)));
    }

    [Fact]
    public void Ctrl_c_after_the_learning_rate_is_chosen_keeps_the_partial_search_and_exits_130()
    {
        using var dir = WithStories();
        using var interrupt = new CancellationTokenSource();
        // The status line after the first probe's grid is the moment: the rest of the probes are cut short.
        var stderr = new CancelOn("probe learning rate", interrupt);
        int code = Subclone.Cli.Program.Run(Args(dir, "i", "--params", "80k"), new StringWriter(), stderr, interrupt: interrupt.Token, progress: true);
        Assert.Equal(130, code);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir["i"], "search.json")))!;
        Assert.True((bool)json["interrupted"]!);
        Assert.Equal(4, json["candidates"]!.AsArray().Count(c => c!["init_loss"] is not null));
        Assert.Equal(1, json["candidates"]!.AsArray().Count(c => c!["probe_loss"] is not null));
        Assert.False(Directory.Exists(Path.Combine(dir["i"], Subclone.Cli.Commands.SearchCommand.ChildDirectory)));
        Assert.Contains("interrupted", stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "--params", "200k" }, "not below")]
    [InlineData(new[] { "--params", "10" }, "no uniform child")]
    [InlineData(new string[0], "--params")]
    [InlineData(new[] { "--params", "80k", "--flops", "100k" }, "--flops")]
    [InlineData(new[] { "--flops", "abc" }, "--flops")]
    [InlineData(new[] { "--params", "80k", "--top", "0" }, "--top")]
    [InlineData(new[] { "--params", "80k", "--probe-steps", "-1" }, "--probe-steps")]
    public void Bad_budgets_and_options_are_one_line_and_write_nothing(string[] extra, string mention)
    {
        using var dir = WithStories();
        Refusal.Assert(Args(dir, "out", extra), mention);
        Assert.False(Directory.Exists(dir["out"]));
        Assert.Empty(Directory.GetDirectories(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void The_ranking_is_by_probe_loss_not_by_init_loss()
    {
        var parent = ModelConfig.Load(Path.Combine(SharedData.Fixture("gpt2-tiny"), "config.json"));
        var space = ShapeSpace.Enumerate(parent, new SearchBudget(BudgetKind.Parameters, 120_000, 16), 3);
        var r = space.Candidates.Select(c => new CandidateResult(c, [0])).ToArray();
        // Best at init is worst after the probe; the unprobed one sorts after both, whatever its init loss.
        CandidateResult[] results = [r[0] with { InitLoss = 1.0, ProbeLoss = 0.9 }, r[1] with { InitLoss = 2.0, ProbeLoss = 0.5 }, r[2] with { InitLoss = 0.1 }];
        var plan = new SearchPlan { Space = space, Budget = new SearchBudget(BudgetKind.Parameters, 120_000, 16), Probe = new TrainingOptions() };
        var outcome = new SearchOutcome(plan, ValidationMetric.NextTokenLoss, new ImportanceScores { Residual = [], Ffn = [], Heads = [], BlockInfluence = [] },
            results, [], 1e-3);
        Assert.Equal([results[1], results[0], results[2]], outcome.Ranked);
        Assert.Same(results[1], outcome.Winner);
        Assert.Equal([results[2]], outcome.ParetoFront(x => x.InitLoss).Where(x => x == results[2]));
    }

    /// <summary>A stderr that cancels <paramref name="interrupt"/> once a line containing <paramref name="trigger"/> is written.</summary>
    sealed class CancelOn(string trigger, CancellationTokenSource interrupt) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(trigger) == true) interrupt.Cancel();
        }
    }
}
