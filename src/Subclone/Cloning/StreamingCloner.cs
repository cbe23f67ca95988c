using Subclone.Data;
using Subclone.Checkpoints;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>
/// Weight subcloning of a parent larger than memory, read from its checkpoint a block or a tensor at a time.
/// Calibration embeds the batches, then builds one parent block at a time, runs every batch's hidden states
/// through it with the importance hooks, keeps the outputs and frees the block. Planning is
/// <see cref="ClonePlanner"/>'s. Slicing reads each parent tensor, cuts the child's tensor from it and writes
/// that straight into the child's checkpoint. Peak memory is about two parent blocks in float32 (the one computing
/// and the next, read meanwhile) plus the calibration activations, or the largest single tensor (the embedding or
/// head) in float32 if that is more.
/// Given the same parent, calibration batches and options, the child's files are byte for byte those
/// <see cref="Subcloner"/> and <see cref="HfCheckpoint.Save"/> write.
/// </summary>
public static class StreamingCloner
{
    /// <summary>The same statistics as <see cref="Calibrator.Measure"/>, with one parent block in memory at a time
    /// (two while the next is read). Progress counts the embedding and each block.</summary>
    /// <remarks>
    /// Reading and converting block i + 1 from the weight files runs on a background task while block i computes
    /// (<paramref name="overlapReading"/>; one block of lookahead, so at most two blocks are resident). The reads
    /// happen in the same order and the blocks compute on the same inputs, so the scores do not depend on it.
    /// </remarks>
    public static ImportanceScores Measure(CheckpointReader parent, IReadOnlyList<ModelBatch> batches, string source, long seed,
        IProgress<(int Done, int Total)>? progress = null, bool overlapReading = true)
    {
        if (batches.Count == 0) throw new UserInputException($"calibration data from {source} is empty");
        var config = parent.Config;
        var forward = BlockwiseForward.For(config);
        var probe = new ImportanceProbe(config);
        int steps = config.Layers + 1;
        var hidden = new List<Tensor>(batches.Count);
        Task<nn.Module>? next = null;
        using var _ = no_grad();
        try
        {
            var (embedding, embeddingPrefix) = forward.CreateEmbedding();
            using (embedding)
            {
                parent.Load(embedding, embeddingPrefix);
                if (config.Layers > 0) next = ReadBlock(parent, forward, 0, overlapReading);
                embedding.eval();
                foreach (var batch in batches)
                {
                    using var scope = NewDisposeScope();
                    hidden.Add(forward.Embed(embedding, batch.Input).MoveToOuterDisposeScope());
                }
            }
            NativeHeap.Trim();
            progress?.Report((1, steps));

            for (int layer = 0; layer < config.Layers; layer++)
            {
                var reading = next!;
                next = null;
                // GetResult rethrows the reader's own exception (a NaN weight, a truncated file), not an AggregateException.
                var block = reading.GetAwaiter().GetResult();
                try
                {
                    if (layer + 1 < config.Layers) next = ReadBlock(parent, forward, layer + 1, overlapReading);
                    for (int b = 0; b < batches.Count; b++)
                    {
                        using var scope = NewDisposeScope();
                        probe.TokenMask = batches[b].AttentionMask;
                        var output = forward.RunBlock(block, hidden[b], batches[b].AttentionMask, probe).MoveToOuterDisposeScope();
                        hidden[b].Dispose();
                        hidden[b] = output;
                    }
                }
                finally
                {
                    block.Dispose();
                }
                // The block's memory is free; without this glibc would keep much of it (and the activations) resident.
                NativeHeap.Trim();
                progress?.Report((layer + 2, steps));
            }
        }
        finally
        {
            probe.TokenMask = null;
            foreach (var h in hidden) h.Dispose();
            // A block still being read when calibration failed is waited for and freed, whatever its own outcome.
            if (next is not null)
            {
                try { next.GetAwaiter().GetResult().Dispose(); }
                catch (Exception) { /* the first failure is the one reported */ }
            }
        }
        return probe.Result(batches.Sum(b => b.Tokens), source, seed);
    }

    /// <summary>Block <paramref name="layer"/> built and filled from the checkpoint: on a background task when
    /// <paramref name="background"/>, else before this returns.</summary>
    static Task<nn.Module> ReadBlock(CheckpointReader parent, BlockwiseForward forward, int layer, bool background)
    {
        nn.Module Read()
        {
            var (block, prefix) = forward.CreateBlock(layer);
            try
            {
                parent.Load(block, prefix);
                block.eval();
                return block;
            }
            catch
            {
                block.Dispose();
                throw;
            }
        }
        if (!background)
        {
            try { return Task.FromResult(Read()); }
            catch (Exception e) { return Task.FromException<nn.Module>(e); }
        }
        return Task.Run(Read);
    }

    /// <summary>What a child of <paramref name="target"/>'s shape keeps (see <see cref="ClonePlanner.Plan"/>).</summary>
    public static CloneMap Plan(CheckpointReader parent, CloneTarget target, ImportanceScores? scores, CloneOptions options) =>
        ClonePlanner.Plan(parent.Config, target.Apply(parent.Config), scores, options);

    /// <summary>
    /// Cuts the child <paramref name="map"/> describes out of the parent, one tensor at a time, into a Hugging Face
    /// directory (shards of at most <paramref name="maxShardBytes"/>), with the parent's tokenizer files and
    /// <paramref name="extraFiles"/>. Atomic: the directory appears complete or not at all. Returns the child's config.
    /// </summary>
    public static ModelConfig Write(CheckpointReader parent, CloneMap map, string directory, ScalarType dtype, bool overwrite = false,
        long maxShardBytes = CheckpointWriter.DefaultShardBytes, IEnumerable<(string Name, string Content)>? extraFiles = null,
        IProgress<(int Done, int Total)>? progress = null) =>
        WriteSliced(parent.Config, parent.HasPooler, parent.ReadFloat32, map, directory, dtype, parent.Directory, overwrite,
            maxShardBytes, extraFiles, progress);

    /// <summary>
    /// The child's checkpoint, each tensor cut from the parent tensor <paramref name="readFloat32"/> returns for a
    /// name (float32) and written before the next is cut, so only one child tensor is ever in memory. A tensor the
    /// reader creates inside the per-tensor dispose scope is freed with it; one that lives elsewhere (an in-memory
    /// parent's parameter) is left alone.
    /// </summary>
    internal static ModelConfig WriteSliced(ModelConfig parent, bool withOptionalPart, Func<string, Tensor> readFloat32, CloneMap map,
        string directory, ScalarType dtype, string? companionSource, bool overwrite, long maxShardBytes,
        IEnumerable<(string Name, string Content)>? extraFiles, IProgress<(int Done, int Total)>? progress)
    {
        map.Validate(parent, "clone map");
        var child = Subcloner.ChildConfig(parent, map);
        var shapes = TransformerModel.ParameterShapes(child, withOptionalPart);

        using var writer = CheckpointWriter.Create(directory, child, shapes, dtype, overwrite, maxShardBytes);
        using var _ = no_grad();
        int done = 0;
        foreach (string name in writer.Names)
        {
            using (var scope = NewDisposeScope())
            {
                var source = readFloat32(Slicer.SourceName(parent, name, map));
                writer.Write(name, Slicer.SliceTensor(parent, name, source, map));
            }
            NativeHeap.Trim();
            progress?.Report((++done, writer.Names.Count));
        }
        writer.CopyCompanions(companionSource);
        foreach (var (name, content) in extraFiles ?? []) writer.AddFile(name, content);
        writer.Commit();
        return child;
    }
}
