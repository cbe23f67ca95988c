using Subclone.Data;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Cloning;

internal static class CloneTestKit
{
    public static TransformerModel Fixture(string name) => HfCheckpoint.Load(SharedData.Fixture(name)).Model;

    /// <summary>Seeded random token windows, [batch, seq] each.</summary>
    public static List<ModelBatch> RandomBatches(ModelConfig config, int batches = 2, int batch = 4, int seq = 16, long seed = 1)
    {
        var generator = new Generator((ulong)seed);
        return Enumerable.Range(0, batches)
            .Select(_ => new ModelBatch(randint(0, config.Vocab, [batch, seq], generator: generator)))
            .ToList();
    }

    public static ImportanceScores Measure(TransformerModel model) =>
        Calibrator.Measure(model, RandomBatches(model.Config), "random ids", 1);

    public static Tensor Logits(TransformerModel model, long seed = 7)
    {
        using var _ = no_grad();
        var ids = randint(0, model.Config.Vocab, [2, 12], generator: new Generator((ulong)seed));
        return model.Forward(ids);
    }

    public static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
