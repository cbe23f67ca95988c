using System.Diagnostics;
using Subclone.Cloning;
using Subclone.Data;
using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// nanoGPT's loop for decoders: sample a batch, next-token cross-entropy, backward (over gradient-accumulation
/// micro-batches), clip the gradient norm, AdamW step with the scheduled learning rate. It evaluates on a fixed
/// validation set, appends metrics and checkpoints as it goes. Everything is float32 on the CPU, and each step
/// runs in its own dispose scope so native memory stays flat however long the run.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly TransformerModel _model;
    readonly TokenBatcher _batcher;
    readonly AdamW _optimizer;
    readonly List<Parameter> _parameters;
    readonly List<CalibrationBatch> _validation;
    readonly string? _directory;
    readonly string? _companionSource;
    readonly MetricsLog? _metrics;

    /// <summary>A parent whose next-token distribution the model also learns (KL at <see cref="TrainingOptions.DistillTemperature"/>), or null.</summary>
    public TransformerModel? Teacher { get; init; }

    /// <summary>
    /// Sets up a run of <paramref name="model"/> on <paramref name="batcher"/>'s data. With <paramref name="resume"/>
    /// (whose model must be <paramref name="model"/>), the optimizer, step and sampler continue from the checkpoint.
    /// Construct it outside any dispose scope: the optimizer's moment tensors live as long as the trainer.
    /// </summary>
    /// <param name="model">The decoder to train, in place.</param>
    /// <param name="batcher">Draws the training windows and the fixed validation batches.</param>
    /// <param name="options">Steps, batch shape, optimizer and schedule; validated here.</param>
    /// <param name="directory">Where checkpoints and metrics go; null keeps everything in memory (tests, evaluation).</param>
    /// <param name="resume">A checkpoint to continue from, or null to start at step 0.</param>
    /// <param name="initialState">State to record for a fresh run (e.g. data and tokenizer identity); null starts empty.</param>
    /// <param name="companionSource">A directory whose tokenizer files are copied into checkpoints.</param>
    public Trainer(TransformerModel model, TokenBatcher batcher, TrainingOptions options, string? directory = null,
        TrainingCheckpoint? resume = null, string? companionSource = null, TrainingState? initialState = null)
    {
        options.Validate();
        if (!model.Config.IsDecoder) throw new UserInputException($"training {model.Config.ArchitectureName} is not supported yet; only decoders (GPT-2, Llama) train");
        if (batcher.BatchSize != options.BatchSize || batcher.SequenceLength != options.SequenceLength)
            throw new ArgumentException($"the batcher's {batcher.BatchSize}×{batcher.SequenceLength} windows do not match the options' {options.BatchSize}×{options.SequenceLength}");
        if (model.Config.Family.LearnedPositions && options.SequenceLength > model.Config.MaxPositions)
            throw new UserInputException($"--seq {options.SequenceLength} exceeds the model's {model.Config.Family.Keys.MaxPositions} ({model.Config.MaxPositions})");
        if (resume is not null && !ReferenceEquals(resume.Model, model)) throw new ArgumentException("the model to resume must be the checkpoint's model");

        torch.set_num_threads(Threads());
        _model = model;
        _batcher = batcher;
        _directory = directory;
        _companionSource = companionSource;
        _metrics = directory is null ? null : new MetricsLog(directory);
        Options = options;

        var groups = WeightDecayGroups.Of(model, options.DecayEmbeddings);
        _parameters = groups.All;
        _optimizer = groups.CreateAdamW(options);

        _validation = options.EvalEvery > 0 ? batcher.ValidationSet(options.EvalBatches) : [];

        var baseState = initialState ?? new TrainingState { Options = options };
        State = baseState with { Options = options, SamplerState = batcher.SamplerState };
        if (resume is not null)
        {
            _optimizer.load_state_dict(resume.OptimizerPath);
            State = resume.State with { Options = options };
            batcher.SamplerState = resume.State.SamplerState;
            _metrics?.TruncateAfter(State.Step);
        }
    }

    /// <summary>
    /// Intra-op threads: every core, unless OMP_NUM_THREADS says otherwise. On a machine shared with other busy
    /// processes, fewer threads than cores avoids OpenMP's spinning barriers stalling a step for whole time slices.
    /// </summary>
    public static int Threads() =>
        int.TryParse(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>The run's options.</summary>
    public TrainingOptions Options { get; }
    /// <summary>Where the run stands: what trainer_state.json records.</summary>
    public TrainingState State { get; private set; }
    /// <summary>The learning-rate schedule of <see cref="Options"/>.</summary>
    public LearningRateSchedule Schedule => Options.Schedule;

    /// <summary>Every metrics row this trainer produced, in order.</summary>
    public List<StepMetrics> History { get; } = [];

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> (or <paramref name="stopAfterStep"/>, or cancellation),
    /// checkpointing where due and where it stops.
    /// </summary>
    public TrainingSummary Run(IProgress<StepMetrics>? progress = null, CancellationToken cancel = default, int? stopAfterStep = null)
    {
        var watch = Stopwatch.StartNew();
        int startStep = State.Step;
        long startTokens = State.TokensSeen;
        double elapsedBefore = State.ElapsedSeconds;
        double Elapsed() => elapsedBefore + watch.Elapsed.TotalSeconds;
        double Throughput() => (State.TokensSeen - startTokens) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);

        if (State.Step == 0 && _validation.Count > 0 && State.InitialValLoss is null)
        {
            double initial = Evaluate();
            State = State with { InitialValLoss = initial, LastValLoss = initial };
            Record(new StepMetrics(0, 0, null, initial, null, 0, 0, Elapsed()), progress);
        }

        int last = Math.Min(Options.Steps, stopAfterStep ?? int.MaxValue);
        bool savedAtLast = false;
        while (State.Step < last && !cancel.IsCancellationRequested)
        {
            int step = State.Step + 1;
            double lr = Schedule.At(step);
            var (loss, norm) = TrainStep(lr);
            if (!double.IsFinite(loss))
                throw new UserInputException($"the training loss became {loss} at step {step}; try a lower --lr or a smaller --clip");
            State = State with
            {
                Step = step, SamplerState = _batcher.SamplerState, TokensSeen = State.TokensSeen + Options.TokensPerStep,
                ElapsedSeconds = Elapsed(), LastTrainLoss = loss,
            };
            double? val = null;
            if (_validation.Count > 0 && Options.EvaluatesAt(step))
            {
                val = Evaluate();
                State = State with { LastValLoss = val };
            }
            Record(new StepMetrics(step, lr, loss, val, norm, State.TokensSeen, Throughput(), State.ElapsedSeconds), progress);
            savedAtLast = false;
            if (Options.SavesAt(step))
            {
                SaveCheckpoint();
                savedAtLast = true;
            }
        }
        // Stopped early (a step limit or Ctrl+C): checkpoint where it stands, so resume loses nothing.
        if (!savedAtLast && State.Step > startStep) SaveCheckpoint();

        return TrainingSummary.Of(State, startStep, watch.Elapsed.TotalSeconds, Throughput());
    }

    /// <summary>One optimizer step at learning rate <paramref name="lr"/>: the mean micro-batch loss and the gradient norm before clipping.</summary>
    (double Loss, double? GradNorm) TrainStep(double lr)
    {
        _model.train();
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        using var scope = NewDisposeScope();
        double loss = 0;
        for (int micro = 0; micro < Options.GradAccum; micro++)
        {
            var (input, target) = _batcher.NextTrain();
            var logits = _model.Forward(input);
            var microLoss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), target.reshape(-1));
            if (Teacher is not null) microLoss = microLoss + Options.DistillWeight * DistillationLoss(logits, input);
            // Scaled so the accumulated gradient is the mean over micro-batches, as one large batch would give.
            microLoss.div(Options.GradAccum).backward();
            loss += microLoss.item<float>() / Options.GradAccum;
        }
        double? norm = Options.GradClip > 0 ? nn.utils.clip_grad_norm_(_parameters, Options.GradClip) : null;
        _optimizer.step();
        _optimizer.zero_grad();
        return (loss, norm);
    }

    /// <summary>
    /// Minitron-style logit distillation (beyond the paper): KL(teacher ‖ student) between the temperature-softened
    /// next-token distributions, scaled by τ² so its gradients keep their size as τ grows (Hinton et al.).
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
    public double Evaluate()
    {
        if (_validation.Count == 0) throw new InvalidOperationException("evaluation is off (EvalEvery = 0)");
        double loss = Evaluation.LanguageModelLoss(_model, _validation);
        _model.train();
        return loss;
    }

    /// <summary>Writes the model, optimizer and state into the run directory (nothing when the trainer has none).</summary>
    public void SaveCheckpoint()
    {
        if (_directory is null) return;
        TrainingCheckpoint.Save(_directory, _model, _optimizer, State, _companionSource);
    }

    void Record(StepMetrics row, IProgress<StepMetrics>? progress)
    {
        History.Add(row);
        _metrics?.Append(row);
        progress?.Report(row);
    }

    /// <summary>Frees the optimizer state and the validation batches.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var batch in _validation)
        {
            batch.InputIds.Dispose();
            batch.AttentionMask?.Dispose();
        }
    }
}
