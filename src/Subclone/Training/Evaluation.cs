using Subclone.Data;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>The two numbers people compare children by: next-token loss (decoders), cosine to the parent's sentence embeddings (encoders).</summary>
public static class Evaluation
{
    /// <summary>Mean next-token cross-entropy over every position of every window.</summary>
    public static double LanguageModelLoss(TransformerModel model, IEnumerable<ModelBatch> batches)
    {
        model.eval();
        double total = 0;
        long count = 0;
        using var _ = no_grad();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var ids = batch.Input;
            long t = ids.shape[1];
            var logits = model.Forward(ids[.., ..(int)(t - 1)]);
            var targets = ids[.., 1..];
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1), reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            count += targets.numel();
        }
        return count == 0 ? double.NaN : total / count;
    }

    /// <summary>Mean-pooled, L2-normalised sentence embeddings [B, D] (sentence-transformers' pooling).</summary>
    public static Tensor SentenceEmbeddings(TransformerModel encoder, ModelBatch batch) => SentenceEmbeddingsWithGrad(encoder, batch);

    /// <summary>The same pooling, keeping the autograd graph (for distillation).</summary>
    public static Tensor SentenceEmbeddingsWithGrad(TransformerModel encoder, ModelBatch batch)
    {
        using var scope = NewDisposeScope();
        var hidden = encoder.Forward(batch.Input, batch.AttentionMask);
        var mask = (batch.AttentionMask ?? ones_like(batch.Input)).to_type(ScalarType.Float32).unsqueeze(-1);
        var pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9);
        return nn.functional.normalize(pooled, p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cosine similarity between a child's and its parent's sentence embeddings. The child's
    /// embedding is narrower, so it is compared through the parent dims it kept (<paramref name="keptDims"/>)
    /// when given, and otherwise must have the parent's width.</summary>
    public static double EmbeddingCosine(TransformerModel child, TransformerModel parent, IEnumerable<ModelBatch> batches, int[]? keptDims)
    {
        child.eval();
        parent.eval();
        double total = 0;
        long count = 0;
        using var _ = no_grad();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var c = SentenceEmbeddings(child, batch);
            var p = SentenceEmbeddings(parent, batch);
            if (keptDims is not null) p = nn.functional.normalize(p.index_select(1, tensor(keptDims.Select(i => (long)i).ToArray())), p: 2, dim: 1);
            if (c.shape[1] != p.shape[1]) throw new ArgumentException($"cannot compare a {c.shape[1]}-wide embedding with a {p.shape[1]}-wide one");
            total += (c * p).sum(1).sum().item<float>();
            count += c.shape[0];
        }
        return total / count;
    }

    /// <summary>Top-1 accuracy of a classifier on labelled batches.</summary>
    public static double Accuracy(TransformerModel classifier, IEnumerable<ModelBatch> batches)
    {
        classifier.eval();
        long correct = 0, total = 0;
        using var _ = no_grad();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var labels = batch.Labels ?? throw new ArgumentException("accuracy needs labelled batches");
            var predicted = classifier.Forward(batch.Input).argmax(-1);
            correct += predicted.eq(labels).sum().item<long>();
            total += labels.numel();
        }
        return total == 0 ? double.NaN : (double)correct / total;
    }
}
