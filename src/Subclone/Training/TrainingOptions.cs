using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>Hyperparameters of a training run. Defaults follow nanoGPT's small-model settings.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1000;
    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Tokens per sequence.</summary>
    public int SequenceLength { get; init; } = 256;
    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double LearningRate { get; init; } = 6e-4;
    /// <summary>Where the cosine decay ends; null means 10% of the peak.</summary>
    public double? MinLearningRate { get; init; }
    /// <summary>Linear warmup steps; null means 10% of the run, at most 100.</summary>
    public int? WarmupSteps { get; init; }
    /// <summary>AdamW weight decay on matrices.</summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Also decay embedding tables (nanoGPT does; many recipes do not).</summary>
    public bool DecayEmbeddings { get; init; }
    /// <summary>AdamW β₁.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>AdamW β₂.</summary>
    public double Beta2 { get; init; } = 0.95;
    /// <summary>AdamW ε.</summary>
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Global gradient-norm limit; 0 turns clipping off.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int GradAccum { get; init; } = 1;
    /// <summary>Evaluate every this many steps (and at the start and the end); 0 turns evaluation off.</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>Batches in the fixed validation set.</summary>
    public int EvalBatches { get; init; } = 20;
    /// <summary>Checkpoint every this many steps; the end of the run is always checkpointed. 0: only at the end.</summary>
    public int SaveEvery { get; init; }
    /// <summary>Seed for initialisation and batch sampling.</summary>
    public long Seed { get; init; } = 1337;
    /// <summary>Softmax temperature τ of logit distillation (when a teacher is given).</summary>
    public double DistillTemperature { get; init; } = 2.0;
    /// <summary>Weight of the distillation term added to the next-token loss.</summary>
    public double DistillWeight { get; init; } = 1.0;

    /// <see cref="MinLearningRate"/>, or its default of a tenth of the peak.
    public double MinLearningRateOrDefault => MinLearningRate ?? LearningRate / 10;
    /// <see cref="WarmupSteps"/>, or its default of 10% of the run, at most 100.
    public int WarmupStepsOrDefault => WarmupSteps ?? Math.Min(100, Steps / 10);
    /// <summary>Tokens per optimizer step: batch × sequence × accumulation.</summary>
    public long TokensPerStep => (long)BatchSize * SequenceLength * GradAccum;

    /// <summary>Whether a run evaluates after <paramref name="step"/>: every EvalEvery steps and at the last one.</summary>
    public bool EvaluatesAt(int step) => EvalEvery > 0 && (step % EvalEvery == 0 || step == Steps);

    /// <summary>Whether a run checkpoints after <paramref name="step"/>: every SaveEvery steps and at the last one.</summary>
    public bool SavesAt(int step) => step == Steps || (SaveEvery > 0 && step % SaveEvery == 0);

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule Schedule => new(LearningRate, MinLearningRateOrDefault, WarmupStepsOrDefault, Steps);

    /// <summary>Throws a one-line <see cref="UserInputException"/> naming the command-line option at fault.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new UserInputException(message); }
        Check(Steps > 0, $"--steps must be positive, got {Steps}");
        Check(BatchSize > 0, $"--batch must be positive, got {BatchSize}");
        Check(SequenceLength > 0, $"--seq must be positive, got {SequenceLength}");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"--lr must be positive, got {LearningRate}");
        Check(MinLearningRateOrDefault >= 0 && MinLearningRateOrDefault <= LearningRate, $"--min-lr must be between 0 and --lr ({LearningRate}), got {MinLearningRateOrDefault}");
        Check(WarmupStepsOrDefault >= 0 && WarmupStepsOrDefault <= Steps, $"--warmup must be between 0 and --steps ({Steps}), got {WarmupStepsOrDefault}");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"--wd must not be negative, got {WeightDecay}");
        Check(GradClip >= 0 && double.IsFinite(GradClip), $"--clip must not be negative, got {GradClip}");
        Check(GradAccum > 0, $"--grad-accum must be positive, got {GradAccum}");
        Check(EvalEvery >= 0, $"--eval-every must not be negative, got {EvalEvery}");
        Check(EvalBatches > 0, $"--eval-batches must be positive, got {EvalBatches}");
        Check(SaveEvery >= 0, $"--save-every must not be negative, got {SaveEvery}");
        Check(DistillTemperature > 0 && double.IsFinite(DistillTemperature), $"--distill-temperature must be positive, got {DistillTemperature}");
        Check(DistillWeight >= 0 && double.IsFinite(DistillWeight), $"--distill-weight must not be negative, got {DistillWeight}");
        Check(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, $"betas must be in [0, 1), got {Beta1}, {Beta2}");
    }

    /// <summary>The options as trainer_state.json stores them (defaults resolved).</summary>
    public JsonObject ToJson() => new()
    {
        ["steps"] = Steps, ["batch_size"] = BatchSize, ["seq_len"] = SequenceLength,
        ["lr"] = LearningRate, ["min_lr"] = MinLearningRateOrDefault, ["warmup_steps"] = WarmupStepsOrDefault,
        ["weight_decay"] = WeightDecay, ["decay_embeddings"] = DecayEmbeddings,
        ["beta1"] = Beta1, ["beta2"] = Beta2, ["eps"] = Epsilon, ["grad_clip"] = GradClip, ["grad_accum"] = GradAccum,
        ["eval_every"] = EvalEvery, ["eval_batches"] = EvalBatches, ["save_every"] = SaveEvery, ["seed"] = Seed,
        ["distill_temperature"] = DistillTemperature, ["distill_weight"] = DistillWeight,
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote; <paramref name="path"/> names the file in errors.</summary>
    public static TrainingOptions FromJson(JsonObject json, string path)
    {
        T Get<T>(string name) => json[name] is JsonValue v && v.TryGetValue(out T? value) && value is not null
            ? value
            : throw new InvalidDataException($"{path}: options field '{name}' is missing or not a {typeof(T).Name}");
        return new TrainingOptions
        {
            Steps = Get<int>("steps"), BatchSize = Get<int>("batch_size"), SequenceLength = Get<int>("seq_len"),
            LearningRate = Get<double>("lr"), MinLearningRate = Get<double>("min_lr"), WarmupSteps = Get<int>("warmup_steps"),
            WeightDecay = Get<double>("weight_decay"), DecayEmbeddings = Get<bool>("decay_embeddings"),
            Beta1 = Get<double>("beta1"), Beta2 = Get<double>("beta2"), Epsilon = Get<double>("eps"),
            GradClip = Get<double>("grad_clip"), GradAccum = Get<int>("grad_accum"),
            EvalEvery = Get<int>("eval_every"), EvalBatches = Get<int>("eval_batches"), SaveEvery = Get<int>("save_every"), Seed = Get<long>("seed"),
            DistillTemperature = json["distill_temperature"] is JsonValue dt && dt.TryGetValue(out double temperature) ? temperature : 2.0,
            DistillWeight = json["distill_weight"] is JsonValue dw && dw.TryGetValue(out double weight) ? weight : 1.0,
        };
    }
}
