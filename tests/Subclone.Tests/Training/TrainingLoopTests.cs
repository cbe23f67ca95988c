using System.Text.Json.Nodes;
using Subclone.Data;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using Subclone.Training;
using static TorchSharp.torch;

namespace Subclone.Tests.Training;

/// <summary>The one loop serves every task: embedding distillation gets the cadence, metrics, checkpoints and exact
/// resume the language-model and image tasks have.</summary>
public class TrainingLoopTests
{
    static TransformerModel TinyBert(long seed) => TransformerModel.Create(ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "bert", ["hidden_size"] = 16, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 2,
        ["intermediate_size"] = 24, ["vocab_size"] = 32, ["max_position_embeddings"] = 16, ["type_vocab_size"] = 2,
    }, "tiny bert config"), seed);

    static List<ModelBatch> Sentences(int batches, ulong seed)
    {
        using var generator = new Generator(seed);
        return Enumerable.Range(0, batches).Select(_ => new ModelBatch(randint(0, 32, [4, 10], generator: generator), ones([4, 10], dtype: ScalarType.Int64))).ToList();
    }

    static readonly TrainingOptions Options = new() { Steps = 8, BatchSize = 4, SequenceLength = 10, LearningRate = 3e-3, WarmupSteps = 2, EvalEvery = 4, EvalBatches = 1, Seed = 5 };

    [Fact]
    public void Embedding_distillation_without_evaluation_trains_and_does_not_divide_by_eval_every()
    {
        // Issue 11 item 8: the old distiller computed step % EvalEvery and threw DivideByZeroException for 0.
        var train = Sentences(3, 1);
        var validation = Sentences(1, 2);
        using var parent = TinyBert(1);
        using var child = TinyBert(2);
        using var loop = new TrainingLoop(new EmbeddingDistillationTask(child, parent, Enumerable.Range(0, 16).ToArray(), train, validation, Options with { EvalEvery = 0 }));

        var summary = loop.Run();

        Assert.Equal(8, summary.Step);
        Assert.All(loop.History, row => Assert.Null(row.Validation));
        Assert.Equal(8 * 4, summary.Seen);
        Assert.Equal("sentences", summary.Unit);
    }

    [Fact]
    public void Embedding_distillation_resumes_bit_exactly_and_logs_its_metric_under_its_own_name()
    {
        using var dir = new TempDir();
        var train = Sentences(5, 3);
        var validation = Sentences(1, 4);
        using var parent = TinyBert(1);
        int[] dims = Enumerable.Range(0, 16).ToArray();
        TrainingTask Task(TransformerModel child, TrainingOptions options) => new EmbeddingDistillationTask(child, parent, dims, train, validation, options);

        var unbroken = TinyBert(2);
        using (var loop = new TrainingLoop(Task(unbroken, Options), dir["a"])) loop.Run();
        using (var first = new TrainingLoop(Task(TinyBert(2), Options), dir["b"])) Assert.True(first.Run(stopAfterStep: 3).Stopped);
        var checkpoint = TrainingCheckpoint.Load(dir["b"]);
        using (var resumed = new TrainingLoop(Task(checkpoint.Model, checkpoint.State.Options), dir["b"], checkpoint)) resumed.Run();

        foreach (var (name, value) in unbroken.state_dict())
            Assert.True(ModelAssert.BitEqual(value, checkpoint.Model.state_dict()[name]), name);
        string[] header = File.ReadLines(dir["b/metrics.csv"]).First().Split(',');
        Assert.Equal(["step", "lr", "train_loss", "val_cosine_distance", "val_cosine", "grad_norm", "sentences", "sentences_per_s", "elapsed_s"], header);
        Assert.Equal(File.ReadLines(dir["a/metrics.csv"]).Select(l => l.Split(',')[2]), File.ReadLines(dir["b/metrics.csv"]).Select(l => l.Split(',')[2]));
        var state = TrainingState.Read(dir["b/trainer_state.json"]);
        Assert.Equal((ValidationMetric.EmbeddingDistance, "sentences", 8 * 4L), (state.Metric, state.Unit, state.Seen));
        unbroken.Dispose();
    }

    [Fact]
    public void Compare_refuses_eval_every_0_before_any_work()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("compare", "minilm", "--out", dir["cmp"], "--ratio", "0.5", "--steps", "4", "--eval-every", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("subclone: error: --eval-every must be positive", result.Error.TrimEnd().Split('\n')[^1]);
        Assert.False(Directory.Exists(dir["cmp"]));
    }

    [Fact]
    public void A_text_run_keeps_its_metrics_columns_and_state_keys()
    {
        var row = new StepMetrics(3, 1e-3, 2.5, 2.0, 0.5, 96, 10, 1);
        Assert.Equal(["step", "lr", "train_loss", "val_loss", "val_ppl", "grad_norm", "tokens", "tokens_per_s", "elapsed_s"], row.Columns);
        Assert.Equal(Math.Exp(2.0), (double)row.ToJson()["val_ppl"]!);
        var json = new TrainingState { Options = new TrainingOptions(), Seen = 96, InitialValidation = 3, LastValidation = 2 }.ToJson();
        Assert.Equal((96L, 3.0, 2.0), ((long)json["tokens_seen"]!, (double)json["initial_val_loss"]!, (double)json["last_val_loss"]!));
    }
}
