using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>
/// Where a run stands after a step, saved as trainer_state.json beside the weights and optimizer state. With
/// them it is everything a resumed run needs to take the very same next step: the step (which fixes the learning
/// rate), the sampler's generator state (which fixes the next windows), and the options and data it ran with.
/// </summary>
public sealed record TrainingState
{
    /// <summary>The file's name in a run directory.</summary>
    public const string FileName = "trainer_state.json";
    /// <summary>The file format this code reads and writes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The options the run trains with.</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>Optimizer steps taken.</summary>
    public int Step { get; init; }
    /// <summary>The batch sampler's generator state: the data position of random sampling.</summary>
    public ulong SamplerState { get; init; }
    /// <summary>How many <see cref="Unit"/> the run has trained on so far.</summary>
    public long Seen { get; init; }
    /// <summary>What <see cref="Seen"/> counts: "tokens" (text), "images", "sentences" (embedding distillation).</summary>
    public string Unit { get; init; } = "tokens";
    /// <summary>What <see cref="InitialValidation"/> and <see cref="LastValidation"/> measure.</summary>
    public ValidationMetric Metric { get; init; } = ValidationMetric.NextTokenLoss;
    /// <summary>Training time across sessions, for the metrics' elapsed_s (never used to decide anything).</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>The validation metric before the first step.</summary>
    public double? InitialValidation { get; init; }
    /// <summary>The validation metric at the latest evaluation.</summary>
    public double? LastValidation { get; init; }
    /// <summary>Training loss of the latest step.</summary>
    public double? LastTrainLoss { get; init; }
    /// <summary>The token cache's inputs and content hash: a resumed run must read the same tokens.</summary>
    public IReadOnlyList<string> DataInputs { get; init; } = [];
    /// <summary>sha256 of the training data's contents.</summary>
    public string? DataSha256 { get; init; }
    /// <summary>The tokenizer's fingerprint (<see cref="Data.TokenizerIdentity"/>).</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Where the tokenizer came from (a model directory, a llama2.c file), for resuming without naming it again.</summary>
    public string? TokenizerSource { get; init; }
    /// <summary>Image runs: where validation images came from (null: a held-out split of the training images).</summary>
    public string? ValidationInput { get; init; }
    /// <summary>Image runs: the augmentation applied to training batches, which a resumed run must replay.</summary>
    public Data.Images.ImageAugmentation? Augmentation { get; init; }

    /// <summary>The state as trainer_state.json holds it.</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = CurrentFormat,
        ["step"] = Step,
        ["unit"] = Unit,
        ["metric"] = Metric.Column,
        ["sampler_state"] = SamplerState.ToString(),
        // Keys named by what they hold (tokens_seen / images_seen, initial_val_loss / initial_val_error, …); a
        // text run's keys are those of runs written before the metric was named, so those still resume.
        [$"{Unit}_seen"] = Seen,
        ["elapsed_s"] = ElapsedSeconds,
        [$"initial_{Metric.Column}"] = InitialValidation,
        [$"last_{Metric.Column}"] = LastValidation,
        ["last_train_loss"] = LastTrainLoss,
        ["options"] = Options.ToJson(),
        ["data"] = new JsonObject
        {
            ["inputs"] = new JsonArray(DataInputs.Select(i => (JsonNode)i).ToArray()),
            ["content_sha256"] = DataSha256,
            ["tokenizer"] = Tokenizer,
            ["tokenizer_source"] = TokenizerSource,
            ["validation"] = ValidationInput,
            ["augmentation"] = Augmentation is null ? null : new JsonObject
            {
                ["crop_padding"] = Augmentation.CropPadding,
                ["horizontal_flip"] = Augmentation.HorizontalFlip,
            },
        },
    };

    /// <summary>trainer_state.json's text: the state, indented.</summary>
    public string ToJsonString() => FiniteJson.Of(ToJson()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    /// <summary>Reads trainer_state.json; a malformed file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static TrainingState Read(string path)
    {
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split('.')[0]})"); }
        T Get<T>(JsonNode? node, string name) => node is JsonValue v && v.TryGetValue(out T? value) && value is not null
            ? value
            : throw new InvalidDataException($"{path}: field '{name}' is missing or not a {typeof(T).Name}");
        double? Optional(string name) => json[name] is null ? null : Get<double>(json[name], name);
        if (Get<int>(json["format"], "format") != CurrentFormat) throw new InvalidDataException($"{path}: format {json["format"]} is not {CurrentFormat}");
        var data = json["data"] as JsonObject ?? throw new InvalidDataException($"{path}: field 'data' is missing");
        string unit = json["unit"] is null ? "tokens" : Get<string>(json["unit"], "unit");
        if (unit is not ("tokens" or "images" or "sentences")) throw new InvalidDataException($"{path}: unknown unit '{unit}'");
        string column = json["metric"] is null ? ValidationMetric.NextTokenLoss.Column : Get<string>(json["metric"], "metric");
        var metric = ValidationMetric.Find(column) ?? throw new InvalidDataException($"{path}: unknown metric '{column}'");
        return new TrainingState
        {
            Options = TrainingOptions.FromJson(json["options"] as JsonObject ?? throw new InvalidDataException($"{path}: field 'options' is missing"), path),
            Step = Get<int>(json["step"], "step"),
            SamplerState = ulong.TryParse(Get<string>(json["sampler_state"], "sampler_state"), out ulong s) ? s : throw new InvalidDataException($"{path}: sampler_state is not a 64-bit number"),
            Unit = unit,
            Metric = metric,
            Seen = Get<long>(json[$"{unit}_seen"], $"{unit}_seen"),
            ElapsedSeconds = Get<double>(json["elapsed_s"], "elapsed_s"),
            InitialValidation = Optional($"initial_{metric.Column}"),
            LastValidation = Optional($"last_{metric.Column}"),
            LastTrainLoss = Optional("last_train_loss"),
            DataInputs = (data["inputs"] as JsonArray ?? []).Select(n => Get<string>(n, "data.inputs")).ToList(),
            DataSha256 = (string?)data["content_sha256"],
            Tokenizer = (string?)data["tokenizer"],
            TokenizerSource = (string?)data["tokenizer_source"],
            ValidationInput = (string?)data["validation"],
            Augmentation = data["augmentation"] is JsonObject a
                ? new Data.Images.ImageAugmentation(Get<int>(a["crop_padding"], "data.augmentation.crop_padding"), Get<bool>(a["horizontal_flip"], "data.augmentation.horizontal_flip"))
                : null,
        };
    }
}
