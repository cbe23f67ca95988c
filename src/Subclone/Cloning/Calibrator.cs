using Subclone.Data;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>One forward pass over calibration batches, no gradients, collecting importance statistics.</summary>
public static class Calibrator
{
    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="batches"/> (from <paramref name="source"/>) and returns what each residual dim, head, FFN neuron and block contributed;
    /// <paramref name="seed"/> is recorded in the scores. Cancellable between batches.
    /// </summary>
    /// <remarks>
    /// A family with a blockwise pass (<see cref="BlockwiseForward"/>: every decoder and BERT) runs each batch one block
    /// at a time, through the model's own modules, and frees each block's input and intermediates as soon as the
    /// block has run: peak memory is the parent plus one block's activations for one batch. A whole-model forward
    /// would keep every block's intermediates until the batch ends (4× the parent's float32 size for GPT-2 small at
    /// 8 × 256 tokens a batch). The blocks compute what the whole forward does, bit for bit, so the scores are the same.
    /// </remarks>
    public static ImportanceScores Measure(TransformerModel model, IReadOnlyList<ModelBatch> batches, string source, long seed,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        if (batches.Count == 0) throw new UserInputException($"calibration data from {source} is empty");
        model.eval();
        var probe = new ImportanceProbe(model.Config);
        var forward = model.Config.Family.Blockwise is null ? null : BlockwiseForward.For(model.Config);
        var modules = forward?.Borrow(model);
        using var _ = no_grad();
        try
        {
            for (int i = 0; i < batches.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = batches[i];
                probe.TokenMask = batch.AttentionMask;
                if (modules is var (embedding, blocks)) RunBlockwise(forward!, embedding, blocks, batch, probe);
                else
                {
                    using var scope = NewDisposeScope();
                    model.ForwardHidden(batch.Input, batch.AttentionMask, probe).Dispose();
                }
                // Return the batch's freed activations to the OS: glibc otherwise keeps them in its heaps.
                NativeHeap.Trim();
                progress?.Report((i + 1, batches.Count));
            }
        }
        finally
        {
            probe.TokenMask = null;
        }
        // Counted by the probe, not from the inputs: a ViT batch's input is pixels, its tokens are patches.
        return probe.Result(probe.TokensSeen, source, seed);
    }

    /// <summary>One batch through the embedding and then each block, each step in its own dispose scope, so only the
    /// residual stream between two blocks outlives a block.</summary>
    static void RunBlockwise(BlockwiseForward forward, nn.Module embedding, nn.Module[] blocks, ModelBatch batch, ImportanceProbe probe)
    {
        Tensor hidden;
        using (var scope = NewDisposeScope()) hidden = forward.Embed(embedding, batch.Input).MoveToOuterDisposeScope();
        try
        {
            foreach (var block in blocks)
            {
                using (var scope = NewDisposeScope())
                {
                    var output = forward.RunBlock(block, hidden, batch.AttentionMask, probe).MoveToOuterDisposeScope();
                    hidden.Dispose();
                    hidden = output;
                }
                // glibc keeps the block's freed intermediates in its heaps, and the next block's do not all fit in
                // them: without this, resident memory grew by about one block's activations per block.
                NativeHeap.Trim();
            }
        }
        finally
        {
            hidden.Dispose();
        }
    }
}
