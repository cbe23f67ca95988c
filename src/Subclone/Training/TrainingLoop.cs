using System.Diagnostics;
using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// nanoGPT's loop, once for every kind of training (<see cref="TrainingTask"/>): take the task's loss over
/// gradient-accumulation micro-batches, backward, clip the gradient norm, AdamW step with the scheduled learning
/// rate; evaluate the task's metric on its fixed validation set, append metrics and checkpoint as it goes, and
/// stop on a step limit or cancellation with a checkpoint where it stands. Everything is float32 on the CPU, and
/// each step runs in its own dispose scope so native memory stays flat however long the run.
/// </summary>
public sealed class TrainingLoop : IDisposable
{
    readonly TrainingTask _task;
    readonly TransformerModel _model;
    readonly AdamW _optimizer;
    readonly List<Parameter> _parameters;
    readonly string? _directory;
    readonly string? _companionSource;
    readonly MetricsLog? _metrics;

    /// <summary>
    /// Sets up a run of <paramref name="task"/>, which the loop now owns (disposing it). With <paramref name="resume"/>
    /// (whose model must be the task's), the optimizer, step and sampler continue from the checkpoint. Construct it
    /// outside any dispose scope: the optimizer's moment tensors live as long as the loop.
    /// </summary>
    /// <param name="task">The model, batches, loss and validation metric.</param>
    /// <param name="directory">Where checkpoints and metrics go; null keeps everything in memory (tests, evaluation).</param>
    /// <param name="resume">A checkpoint to continue from, or null to start at step 0.</param>
    /// <param name="companionSource">A directory whose tokenizer / preprocessor files are copied into checkpoints.</param>
    /// <param name="initialState">State to record for a fresh run (the data's identity); null starts empty.</param>
    public TrainingLoop(TrainingTask task, string? directory = null, TrainingCheckpoint? resume = null,
        string? companionSource = null, TrainingState? initialState = null)
    {
        if (resume is not null && !ReferenceEquals(resume.Model, task.Model)) throw new ArgumentException("the model to resume must be the checkpoint's model");
        torch.set_num_threads(Threads());
        _task = task;
        _model = task.Model;
        _directory = directory;
        _companionSource = companionSource;
        _metrics = directory is null ? null : new MetricsLog(directory);
        Options = task.Options;

        var groups = WeightDecayGroups.Of(_model, Options.DecayEmbeddings);
        _parameters = groups.All;
        _optimizer = groups.CreateAdamW(Options);

        State = (initialState ?? new TrainingState { Options = Options }) with { SamplerState = task.SamplerState };
        if (resume is not null)
        {
            _optimizer.load_state_dict(resume.OptimizerPath);
            State = resume.State;
            task.Resume(State);
            _metrics?.TruncateAfter(State.Step);
        }
        State = task.Annotate(State with { Options = Options, Metric = task.Metric, Unit = task.Unit });
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
    /// <summary>The task trained.</summary>
    public TrainingTask Task => _task;

    /// <summary>Every metrics row this loop produced, in order.</summary>
    public List<StepMetrics> History { get; } = [];

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> (or <paramref name="stopAfterStep"/>, or cancellation),
    /// evaluating where due, checkpointing where due and where it stops.
    /// </summary>
    public TrainingSummary Run(IProgress<StepMetrics>? progress = null, CancellationToken cancel = default, int? stopAfterStep = null)
    {
        var watch = Stopwatch.StartNew();
        int startStep = State.Step;
        long startSeen = State.Seen;
        double elapsedBefore = State.ElapsedSeconds;
        double Elapsed() => elapsedBefore + watch.Elapsed.TotalSeconds;
        double Throughput() => (State.Seen - startSeen) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        bool evaluating = Options.EvalEvery > 0;

        if (State.Step == 0 && evaluating && State.InitialValidation is null)
        {
            double initial = _task.Evaluate();
            State = State with { InitialValidation = initial, LastValidation = initial };
            Record(Row(0, 0, null, initial, null, 0, Elapsed()), progress);
        }

        int last = Math.Min(Options.Steps, stopAfterStep ?? int.MaxValue);
        bool savedAtLast = false;
        while (State.Step < last && !cancel.IsCancellationRequested)
        {
            int step = State.Step + 1;
            double lr = Options.Schedule.At(step);
            var (loss, norm, seen) = TrainStep(lr);
            if (!double.IsFinite(loss))
                throw new TrainingDivergedException(step, loss);
            State = State with
            {
                Step = step, SamplerState = _task.SamplerState, Seen = State.Seen + seen, ElapsedSeconds = Elapsed(), LastTrainLoss = loss,
            };
            double? val = null;
            if (evaluating && Options.EvaluatesAt(step))
            {
                val = _task.Evaluate();
                State = State with { LastValidation = val };
            }
            Record(Row(step, lr, loss, val, norm, Throughput(), State.ElapsedSeconds), progress);
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

    /// <summary>One optimizer step at learning rate <paramref name="lr"/>: the mean micro-batch loss, the gradient
    /// norm before clipping, and the units trained on.</summary>
    (double Loss, double? GradNorm, long Seen) TrainStep(double lr)
    {
        _model.train();
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        using var scope = NewDisposeScope();
        double loss = 0;
        long seen = 0;
        for (int micro = 0; micro < Options.GradAccum; micro++)
        {
            var (microLoss, count) = _task.NextLoss();
            // Scaled so the accumulated gradient is the mean over micro-batches, as one large batch would give.
            microLoss.div(Options.GradAccum).backward();
            loss += microLoss.item<float>() / Options.GradAccum;
            seen += count;
        }
        double? norm = Options.GradClip > 0 ? nn.utils.clip_grad_norm_(_parameters, Options.GradClip) : null;
        _optimizer.step();
        _optimizer.zero_grad();
        return (loss, norm, seen);
    }

    /// <summary>The task's validation metric now (the model is left in training mode).</summary>
    public double Evaluate()
    {
        double value = _task.Evaluate();
        _model.train();
        return value;
    }

    /// <summary>Writes the model, optimizer and state into the run directory (nothing when the loop has none).</summary>
    public void SaveCheckpoint()
    {
        if (_directory is null) return;
        TrainingCheckpoint.Save(_directory, _model, _optimizer, State, _companionSource);
    }

    StepMetrics Row(int step, double lr, double? train, double? val, double? norm, double perSecond, double elapsed) =>
        new(step, lr, train, val, norm, State.Seen, perSecond, elapsed) { Metric = _task.Metric, Unit = _task.Unit };

    void Record(StepMetrics row, IProgress<StepMetrics>? progress)
    {
        History.Add(row);
        _metrics?.Append(row);
        progress?.Report(row);
    }

    /// <summary>Frees the optimizer state and the task (its validation batches); the model belongs to the caller.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _task.Dispose();
    }
}
