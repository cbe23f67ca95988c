using Subclone.Data;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// Trains a narrower BERT child to reproduce its parent's sentence embeddings, the practical way to shrink a
/// sentence-embedding model. The child's d-wide embedding is matched (cosine) to the parent's embedding restricted
/// to the parent dims the child stands for (<c>targetDims</c>: the residual dims a clone kept), so no projection
/// layer is needed and a subcloned child starts close. Loss and validation metric are 1 − mean cosine.
/// </summary>
public sealed class EmbeddingDistillationTask : TrainingTask
{
    readonly TransformerModel _parent;
    readonly Tensor _targetDims;
    readonly int[] _dims;
    readonly IReadOnlyList<ModelBatch> _train, _validation;
    readonly SplitMix64 _order;

    /// <summary>
    /// Sets up distillation of <paramref name="child"/> toward <paramref name="parent"/>'s sentence embeddings restricted to
    /// <paramref name="targetDims"/> (the child's kept residual dims), on batches of <paramref name="train"/> sentences drawn
    /// at random (seeded), evaluated on <paramref name="validation"/>. The batches belong to the caller.
    /// </summary>
    public EmbeddingDistillationTask(TransformerModel child, TransformerModel parent, int[] targetDims,
        IReadOnlyList<ModelBatch> train, IReadOnlyList<ModelBatch> validation, TrainingOptions options)
        : base(child, options, ValidationMetric.EmbeddingDistance, "sentences")
    {
        if (child.Config.Family.Kind != FamilyKind.Encoder) throw new UserInputException("embedding distillation trains BERT children");
        if (targetDims.Length != child.Config.Hidden) throw new ArgumentException($"{targetDims.Length} target dims for a {child.Config.Hidden}-wide child");
        if (train.Count == 0 || validation.Count == 0) throw new UserInputException("distillation needs training and validation sentences");
        _parent = parent;
        _dims = targetDims;
        _targetDims = tensor(targetDims.Select(i => (long)i).ToArray());
        _train = train;
        _validation = validation;
        _order = new SplitMix64(unchecked((ulong)options.Seed));
    }

    /// <inheritdoc/>
    public override ulong SamplerState => _order.State;

    /// <inheritdoc/>
    public override void Resume(TrainingState state) => _order.State = state.SamplerState;

    /// <inheritdoc/>
    public override (Tensor Loss, long Count) NextLoss()
    {
        var batch = _train[(int)_order.NextInt64(_train.Count)];
        Tensor target;
        using (no_grad())
            target = nn.functional.normalize(Evaluation.SentenceEmbeddings(_parent, batch).index_select(1, _targetDims), p: 2, dim: 1);
        var predicted = Evaluation.SentenceEmbeddingsWithGrad(Model, batch);
        return (1 - (predicted * target).sum(1).mean(), batch.Input.shape[0]);
    }

    /// <summary>1 − mean cosine between child and (restricted) parent embeddings on the validation sentences.</summary>
    public override double Evaluate() => 1 - Evaluation.EmbeddingCosine(Model, _parent, _validation, _dims);

    /// <summary>Frees the index of target dims (the sentences and models belong to the caller).</summary>
    public override void Dispose() => _targetDims.Dispose();
}
