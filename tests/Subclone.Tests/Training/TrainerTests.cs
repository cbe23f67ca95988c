using System.Diagnostics;
using Subclone.Data;
using Subclone.Tests.Support;
using Subclone.Training;
using Xunit.Abstractions;

namespace Subclone.Tests.Training;

public class TrainerTests(ITestOutputHelper output)
{
    [SharedFact]
    public void A_tiny_GPT2_learns_TinyStories_in_60_steps()
    {
        using var dir = new TempDir();
        var tokenizer = TrainingTestKit.ByteTokenizer(dir);
        using var data = TokenCache.Open([SharedData.Data("tinystories/tinystories_train_first1000.txt")], tokenizer, dir["cache"]);
        var options = new TrainingOptions
        {
            Steps = 60, BatchSize = 16, SequenceLength = 64, LearningRate = 3e-3, WarmupSteps = 6,
            EvalEvery = 20, EvalBatches = 4, Seed = 1,
        };
        using var trainer = new TrainingLoop(new LanguageModelTask(TrainingTestKit.Gpt2(seed: 1), new TokenBatcher(data, 16, 64, 1), options));

        var watch = Stopwatch.StartNew();
        var summary = trainer.Run();
        output.WriteLine($"{summary.StepsPerSecond:F1} steps/s, {summary.SeenPerSecond:F0} tokens/s; val loss {summary.InitialValidation:F3} -> {summary.Validation:F3}");

        Assert.Equal(60, summary.Step);
        // ln(257) ≈ 5.55 at random init; byte bigram statistics alone are worth well over a nat.
        Assert.InRange(summary.InitialValidation!.Value, 5.0, 6.0);
        Assert.True(summary.Validation < summary.InitialValidation - 2.0, $"validation loss {summary.InitialValidation} -> {summary.Validation}");
        Assert.Equal([0, 20, 40, 60], trainer.History.Where(r => r.Validation is not null).Select(r => r.Step));
        var trainLosses = trainer.History.Where(r => r.TrainLoss is not null).Select(r => r.TrainLoss!.Value).ToList();
        Assert.True(trainLosses.TakeLast(10).Average() < trainLosses.Take(10).Average() - 1.5);
        Assert.All(trainer.History.Skip(1), r => Assert.True(r.GradNorm > 0));
    }

    static TrainingOptions ResumeOptions => new()
    {
        Steps = 20, BatchSize = 4, SequenceLength = 32, LearningRate = 3e-3, WarmupSteps = 4, GradAccum = 2,
        EvalEvery = 5, EvalBatches = 2, SaveEvery = 10, Seed = 42,
    };

    [Fact]
    public void Ten_steps_then_resume_then_ten_more_equals_twenty_straight()
    {
        using var dir = new TempDir();
        var tokenizer = TrainingTestKit.ByteTokenizer(dir);
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["stories.txt"], 200)], tokenizer, dir["cache"]);
        var options = ResumeOptions;
        TokenBatcher Batcher() => new(data, options.BatchSize, options.SequenceLength, (ulong)options.Seed);

        var straightModel = TrainingTestKit.Gpt2(seed: 5);
        List<StepMetrics> straight;
        using (var trainer = new TrainingLoop(new LanguageModelTask(straightModel, Batcher(), options), dir["straight"]))
        {
            trainer.Run();
            straight = trainer.History;
        }

        using (var first = new TrainingLoop(new LanguageModelTask(TrainingTestKit.Gpt2(seed: 5), Batcher(), options), dir["resumed"]))
        {
            var summary = first.Run(stopAfterStep: 10);
            Assert.True(summary.Stopped);
            Assert.Equal(10, summary.Step);
        }
        var checkpoint = TrainingCheckpoint.Load(dir["resumed"]);
        Assert.Equal(10, checkpoint.State.Step);
        List<StepMetrics> resumed;
        using (var second = new TrainingLoop(new LanguageModelTask(checkpoint.Model, Batcher(), options), dir["resumed"], resume: checkpoint))
        {
            var summary = second.Run();
            Assert.False(summary.Stopped);
            resumed = second.History;
        }

        Assert.Equal(Enumerable.Range(11, 10), resumed.Select(r => r.Step));
        foreach (var row in resumed)
        {
            var reference = straight.Single(r => r.Step == row.Step);
            // Bitwise: the same weights, optimizer moments, learning rate and windows give the same float32 loss.
            Assert.Equal(reference.TrainLoss, row.TrainLoss);
            Assert.Equal(reference.Validation, row.Validation);
            Assert.Equal(reference.GradNorm, row.GradNorm);
            Assert.Equal(reference.LearningRate, row.LearningRate);
        }
        // Losses move, so equal losses are not equal by accident of a frozen model.
        Assert.NotEqual(straight.Single(r => r.Step == 11).TrainLoss, straight.Single(r => r.Step == 20).TrainLoss);
        ModelAssert.BitIdentical(straightModel, TrainingCheckpoint.Load(dir["resumed"]).Model);

        // The resumed run's metrics read as one run: steps 0..20, each once.
        var rows = new MetricsLog(dir["resumed"]).Read();
        Assert.Equal(Enumerable.Range(0, 21), rows.Select(r => (int)r["step"]!));
        Assert.Equal(22, File.ReadAllLines(dir["resumed/metrics.csv"]).Length);
    }

    [Fact]
    public void A_checkpoint_is_an_HF_directory_with_trainer_state_optimizer_and_metrics()
    {
        using var dir = new TempDir();
        var tokenizer = TrainingTestKit.ByteTokenizer(dir);
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["stories.txt"], 100)], tokenizer, dir["cache"]);
        var options = ResumeOptions with { Steps = 6, SaveEvery = 0, EvalEvery = 3 };
        using (var trainer = new TrainingLoop(new LanguageModelTask(TrainingTestKit.Gpt2(seed: 1), new TokenBatcher(data, 4, 32, 42), options), dir["run"],
            companionSource: dir["tokenizer"]))
            trainer.Run();

        Assert.Equal(["config.json", "merges.txt", "metrics.csv", "metrics.jsonl", "model.safetensors", "optimizer.bin", "trainer_state.json", "vocab.json"],
            Directory.GetFiles(dir["run"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var state = TrainingState.Read(dir["run/trainer_state.json"]);
        Assert.Equal(6, state.Step);
        Assert.Equal(6 * options.TokensPerStep, state.Seen);
        Assert.Equal(options, state.Options with { MinLearningRate = null });
        Assert.NotEqual((ulong)42, state.SamplerState);
        Assert.Equal("step,lr,train_loss,val_loss,val_ppl,grad_norm,tokens,tokens_per_s,elapsed_s", File.ReadLines(dir["run/metrics.csv"]).First());
        var last = new MetricsLog(dir["run"]).Read()[^1];
        Assert.Equal(Math.Exp((double)last["val_loss"]!), (double)last["val_ppl"]!, 12);
        Assert.Equal(Subclone.Checkpoints.HfCheckpoint.Load(dir["run"]).Model.ParameterCount(), TrainingTestKit.Gpt2(1).ParameterCount());
    }

    [Fact]
    public void Encoders_are_refused()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 50)], new CharTokenizer(), dir["cache"]);
        var bert = Subclone.Models.TransformerModel.Create(Subclone.Models.ModelConfig.Parse(new System.Text.Json.Nodes.JsonObject
        {
            ["model_type"] = "bert", ["hidden_size"] = 16, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1,
            ["intermediate_size"] = 32, ["vocab_size"] = 201,
        }, "bert"));
        var options = new TrainingOptions { Steps = 2, BatchSize = 2, SequenceLength = 8 };

        var e = Assert.Throws<UserInputException>(() => new TrainingLoop(new LanguageModelTask(bert, new TokenBatcher(data, 2, 8, 1), options)));
        Assert.Contains("only decoders", e.Message);
    }

    [Fact]
    public void Native_tensors_do_not_pile_up_across_steps()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 100)], TrainingTestKit.ByteTokenizer(dir), dir["cache"]);
        var options = ResumeOptions with { Steps = 30, EvalEvery = 0, SaveEvery = 0 };
        using var trainer = new TrainingLoop(new LanguageModelTask(TrainingTestKit.Gpt2(seed: 1), new TokenBatcher(data, 4, 32, 1), options));

        trainer.Run(stopAfterStep: 5);
        long after5 = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Run(stopAfterStep: 30);
        long after30 = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        output.WriteLine($"live tensors after 5 steps: {after5}, after 30: {after30}");
        Assert.True(after30 <= after5, $"live tensors grew from {after5} to {after30} over 25 steps");
    }
}
