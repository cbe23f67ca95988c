using Subclone.Data;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>One forward pass over calibration batches, no gradients, collecting importance statistics.</summary>
public static class Calibrator
{
    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="batches"/> (from <paramref name="source"/>) and returns what each residual dim, head, FFN neuron and block contributed;
    /// <paramref name="seed"/> is recorded in the scores. Cancellable between batches.
    /// </summary>
    public static ImportanceScores Measure(TransformerModel model, IReadOnlyList<ModelBatch> batches, string source, long seed,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        if (batches.Count == 0) throw new UserInputException($"calibration data from {source} is empty");
        model.eval();
        var probe = new ImportanceProbe(model.Config);
        using var _ = no_grad();
        for (int i = 0; i < batches.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = batches[i];
            probe.TokenMask = batch.AttentionMask;
            model.ForwardHidden(batch.Input, batch.AttentionMask, probe).Dispose();
            scope.Dispose();
            // Return the batch's freed activations to the OS: glibc otherwise keeps them in its heaps.
            NativeHeap.Trim();
            progress?.Report((i + 1, batches.Count));
        }
        probe.TokenMask = null;
        // Counted by the probe, not from the inputs: a ViT batch's input is pixels, its tokens are patches.
        return probe.Result(probe.TokensSeen, source, seed);
    }
}
