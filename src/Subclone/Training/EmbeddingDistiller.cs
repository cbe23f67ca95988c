using System.Diagnostics;
using Subclone.Cloning;
using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Training;

/// <summary>
/// Trains a narrower BERT child to reproduce its parent's sentence embeddings, the practical way to shrink a
/// sentence-embedding model. The child's d-wide embedding is matched (cosine) to the parent's embedding restricted
/// to the parent dims the child stands for (<c>targetDims</c>: the residual dims a clone kept), so no projection
/// layer is needed and a subcloned child starts close. Loss and the reported metric are 1 − mean cosine.
/// </summary>
public sealed class EmbeddingDistiller : IChildTrainer
{
    readonly TransformerModel _child, _parent;
    readonly Tensor _targetDims;
    readonly int[] _dims;
    readonly List<CalibrationBatch> _train, _validation;
    readonly AdamW _optimizer;
    readonly List<Parameter> _parameters;
    readonly TrainingOptions _options;

    /// <inheritdoc/>
    public List<StepMetrics> History { get; } = [];

    /// <summary>
    /// Sets up distillation of <paramref name="child"/> toward <paramref name="parent"/>'s sentence embeddings restricted to
    /// <paramref name="targetDims"/> (the child's kept residual dims), on <paramref name="train"/> sentences, evaluated on <paramref name="validation"/>.
    /// </summary>
    public EmbeddingDistiller(TransformerModel child, TransformerModel parent, int[] targetDims,
        List<CalibrationBatch> train, List<CalibrationBatch> validation, TrainingOptions options)
    {
        if (child.Config.Family.Kind != FamilyKind.Encoder) throw new UserInputException("embedding distillation trains BERT children");
        if (targetDims.Length != child.Config.Hidden) throw new ArgumentException($"{targetDims.Length} target dims for a {child.Config.Hidden}-wide child");
        if (train.Count == 0 || validation.Count == 0) throw new UserInputException("distillation needs training and validation sentences");
        _child = child;
        _parent = parent;
        _dims = targetDims;
        _targetDims = tensor(targetDims.Select(i => (long)i).ToArray());
        _train = train;
        _validation = validation;
        _options = options;
        torch.set_num_threads(Trainer.Threads());
        var groups = WeightDecayGroups.Of(child, options.DecayEmbeddings);
        _parameters = groups.All;
        _optimizer = groups.CreateAdamW(options);
    }

    Tensor Target(CalibrationBatch batch)
    {
        using var _ = no_grad();
        var full = Evaluation.SentenceEmbeddings(_parent, batch);
        return nn.functional.normalize(full.index_select(1, _targetDims), p: 2, dim: 1);
    }

    /// <summary>1 − mean cosine between child and (restricted) parent embeddings on the validation sentences.</summary>
    public double Evaluate() => 1 - Evaluation.EmbeddingCosine(_child, _parent, _validation, _dims);

    /// <inheritdoc/>
    public void Run(IProgress<StepMetrics>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var schedule = _options.Schedule;
        var order = new Random((int)_options.Seed);
        double Record(int step, double lr, double? train, double? val)
        {
            var row = new StepMetrics(step, lr, train, val, null, 0, 0, watch.Elapsed.TotalSeconds);
            History.Add(row);
            progress?.Report(row);
            return val ?? double.NaN;
        }
        Record(0, 0, null, Evaluate());
        for (int step = 1; step <= _options.Steps; step++)
        {
            double lr = schedule.At(step);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            _child.train();
            double loss;
            using (var scope = NewDisposeScope())
            {
                var batch = _train[order.Next(_train.Count)];
                var target = Target(batch);
                var predicted = Evaluation.SentenceEmbeddingsWithGrad(_child, batch);
                var lossTensor = 1 - (predicted * target).sum(1).mean();
                lossTensor.backward();
                if (_options.GradClip > 0) nn.utils.clip_grad_norm_(_parameters, _options.GradClip);
                _optimizer.step();
                _optimizer.zero_grad();
                loss = lossTensor.item<float>();
            }
            bool evaluate = step % _options.EvalEvery == 0 || step == _options.Steps;
            Record(step, lr, loss, evaluate ? Evaluate() : null);
        }
    }

    /// <summary>Frees the optimizer state.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _targetDims.Dispose();
    }
}
