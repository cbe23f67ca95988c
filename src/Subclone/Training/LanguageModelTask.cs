using Subclone.Data;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// Next-token training of a decoder on random windows of a token file, validated by the mean next-token loss on
/// fixed held-out windows. With a <see cref="Teacher"/> it adds Minitron-style logit distillation (beyond the paper).
/// </summary>
public sealed class LanguageModelTask : TrainingTask
{
    readonly TokenBatcher _batcher;
    readonly List<ModelBatch> _validation;

    /// <summary>Sets up next-token training of <paramref name="model"/> on <paramref name="batcher"/>'s windows.</summary>
    /// <param name="model">The decoder to train, in place.</param>
    /// <param name="batcher">Draws the training windows and the fixed validation windows.</param>
    /// <param name="options">Steps, batch shape, optimizer and schedule; validated here.</param>
    public LanguageModelTask(TransformerModel model, TokenBatcher batcher, TrainingOptions options)
        : base(model, options, ValidationMetric.NextTokenLoss, "tokens")
    {
        if (!model.Config.IsDecoder) throw new UserInputException($"training {model.Config.ArchitectureName} is not supported yet; only decoders (GPT-2, Llama) train on next tokens");
        if (batcher.BatchSize != options.BatchSize || batcher.SequenceLength != options.SequenceLength)
            throw new ArgumentException($"the batcher's {batcher.BatchSize}×{batcher.SequenceLength} windows do not match the options' {options.BatchSize}×{options.SequenceLength}");
        if (model.Config.Family.LearnedPositions && options.SequenceLength > model.Config.MaxPositions)
            throw new UserInputException($"--seq {options.SequenceLength} exceeds the model's {model.Config.Family.Keys.MaxPositions} ({model.Config.MaxPositions})");
        _batcher = batcher;
        _validation = options.EvalEvery > 0 ? batcher.ValidationSet(options.EvalBatches) : [];
    }

    /// <summary>A parent whose next-token distribution the model also learns (KL at <see cref="TrainingOptions.DistillTemperature"/>), or null.</summary>
    public TransformerModel? Teacher { get; init; }

    /// <inheritdoc/>
    public override ulong SamplerState => _batcher.SamplerState;

    /// <inheritdoc/>
    public override void Resume(TrainingState state) => _batcher.SamplerState = state.SamplerState;

    /// <inheritdoc/>
    public override (Tensor Loss, long Count) NextLoss()
    {
        var (input, target) = _batcher.NextTrain();
        var logits = Model.Forward(input);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), target.reshape(-1));
        if (Teacher is not null) loss = loss + Options.DistillWeight * DistillationLoss(logits, input);
        return (loss, target.numel());
    }

    /// <summary>
    /// KL(teacher ‖ student) between the temperature-softened next-token distributions, scaled by τ² so its
    /// gradients keep their size as τ grows (Hinton et al.).
    /// </summary>
    Tensor DistillationLoss(Tensor studentLogits, Tensor input)
    {
        Tensor teacherLogits;
        using (no_grad()) teacherLogits = Teacher!.Forward(input);
        if (teacherLogits.shape[^1] != studentLogits.shape[^1])
            throw new UserInputException($"--distill: the parent's vocabulary ({teacherLogits.shape[^1]}) differs from the child's ({studentLogits.shape[^1]})");
        double t = Options.DistillTemperature;
        var studentLog = nn.functional.log_softmax(studentLogits.reshape(-1, studentLogits.shape[^1]) / t, 1);
        var teacherLog = nn.functional.log_softmax(teacherLogits.reshape(-1, teacherLogits.shape[^1]) / t, 1);
        return nn.functional.kl_div(studentLog, teacherLog, reduction: nn.Reduction.Sum, log_target: true) / studentLog.shape[0] * (t * t);
    }

    /// <summary>Mean next-token loss on the fixed validation windows.</summary>
    public override double Evaluate()
    {
        if (_validation.Count == 0) throw new InvalidOperationException("evaluation is off (EvalEvery = 0)");
        return Evaluation.LanguageModelLoss(Model, _validation);
    }

    /// <summary>Frees the validation windows.</summary>
    public override void Dispose()
    {
        foreach (var batch in _validation) batch.Dispose();
    }
}
