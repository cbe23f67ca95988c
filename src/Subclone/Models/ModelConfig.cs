using System.Text.Json.Nodes;
using Subclone.Models.Families;

namespace Subclone.Models;

/// <summary>
/// The shape of a transformer in architecture-neutral terms, parsed from (and written back to) a Hugging Face
/// config.json. The parsed JSON is kept in <see cref="Raw"/> so fields Subclone does not model (token ids,
/// rope_scaling, generation settings) survive into a child's config unchanged.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The model family (its descriptor), which decides the module classes and the parameter table.</summary>
    public required ModelFamily Family { get; init; }
    /// <summary>config.json's model_type: gpt2, llama, mistral, qwen2, bert, vit.</summary>
    public required string ModelType { get; init; }
    /// <summary>Residual width d (n_embd / hidden_size).</summary>
    public required int Hidden { get; init; }
    /// <summary>Number of blocks.</summary>
    public required int Layers { get; init; }
    /// <summary>Query heads.</summary>
    public required int Heads { get; init; }
    /// <summary>Key/value heads: equal to <see cref="Heads"/> without GQA.</summary>
    public required int KvHeads { get; init; }
    /// <summary>Width of one head; Llama-family configs may set it apart from hidden / heads.</summary>
    public required int HeadDim { get; init; }
    /// <summary>FFN (intermediate) width.</summary>
    public required int Ffn { get; init; }
    /// <summary>Token vocabulary (vocab_size) of a text model; zero for image models, whose head has <see cref="Labels"/> outputs.</summary>
    public int Vocab { get; init; }
    /// <summary>Sequence positions; for ViT (image_size / patch_size)² patches + 1 for the [CLS] token.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>Epsilon of the LayerNorms / RMSNorms.</summary>
    public required double NormEps { get; init; }
    /// <summary>The LM head shares the token embedding matrix (and has no tensor of its own).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Rotary base θ (Llama family).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>The rotary embedding (rope_scaling / rope_parameters) of the Llama family; plain RoPE with
    /// <see cref="RopeTheta"/> where none was parsed (a config built in code).</summary>
    public RopeParameters Rope { get => _rope ?? RopeParameters.Default(RopeTheta, MaxPositions); init => _rope = value; }
    readonly RopeParameters? _rope;
    /// <summary>q/k/v(/o) projections carry biases (Qwen2's q/k/v; Llama's attention_bias).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>The MLP's projections carry biases (always for GPT-2, BERT and ViT; Llama's mlp_bias).</summary>
    public bool MlpBias { get; init; }
    /// <summary>BERT's token-type vocabulary (type_vocab_size); zero for other families.</summary>
    public int TypeVocab { get; init; }
    /// <summary>The FFN's activation, by its config.json name (gelu, gelu_new, silu, relu, …).</summary>
    public string Activation { get; init; } = "gelu";
    /// <summary>ViT: input images are ImageSize × ImageSize pixels of Channels channels, cut into PatchSize × PatchSize patches.
    /// Zero for text models.</summary>
    public int ImageSize { get; init; }
    /// <summary>ViT: patch side in pixels; zero for text models.</summary>
    public int PatchSize { get; init; }
    /// <summary>ViT: channels per pixel; zero for text models.</summary>
    public int Channels { get; init; }
    /// <summary>ViT: number of classes (len(id2label)), the classifier's outputs. Zero for text models.</summary>
    public int Labels { get; init; }
    /// <summary>Standard deviation of Hugging Face's random weight initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>Mixture-of-experts routing (experts, top-k, expert width, sparse blocks); null for dense models.</summary>
    public MoeShape? Moe { get; init; }
    /// <summary>The config.json this shape was parsed from (a copy), carried into children and saved checkpoints.</summary>
    public JsonObject Raw { get; init; } = new();

    /// <summary>Models that predict the next token.</summary>
    public bool IsDecoder => Family.IsDecoder;

    /// <summary>ViT's patches per image: (image_size / patch_size)², rounded down as the strided convolution does.</summary>
    public int Patches => PatchSize > 0 ? (ImageSize / PatchSize) * (ImageSize / PatchSize) : 0;

    /// <summary>A class's name from id2label, or HF's default LABEL_i where the config has none.</summary>
    public string LabelName(int index) =>
        Raw["id2label"] is JsonObject names && names[index.ToString(System.Globalization.CultureInfo.InvariantCulture)] is JsonValue v
            && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : $"LABEL_{index}";

    /// <summary>The class name Hugging Face's from_pretrained instantiates.</summary>
    public string ArchitectureName => (Raw["architectures"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? Family.ClassName;

    /// <summary>Reads and validates a config.json; a malformed one is a <see cref="CheckpointException"/> naming the file and field.</summary>
    public static ModelConfig Load(string configPath)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(configPath), documentOptions: JsonText.NoDuplicateKeys); }
        catch (System.Text.Json.JsonException e) { throw new CheckpointException(configPath, $"is not valid JSON ({JsonText.Describe(e)})"); }
        catch (IOException e) { throw new CheckpointException(configPath, e.Message); }
        if (node is not JsonObject json) throw new CheckpointException(configPath, "is not a JSON object");
        return Parse(json, configPath);
    }

    /// <summary>Parses and validates a config.json object; <paramref name="path"/> names it in errors.</summary>
    public static ModelConfig Parse(JsonObject json, string path)
    {
        var r = new ConfigReader(json, path);
        string modelType = r.String("model_type");
        var family = ModelFamilies.Find(modelType)
            ?? throw new CheckpointException(path, $"model_type '{modelType}' is not supported ({ModelFamilies.SupportedModelTypes})");
        var config = family.Parse(r, family);
        // Read here, not where used, so a malformed value is reported as config.json's fault.
        if (json["architectures"] is { } architectures
            && (architectures is not JsonArray list || list.Count == 0 || list.Any(a => a is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)))
            throw new CheckpointException(path, $"field 'architectures' must be a list of class names, got {architectures.ToJsonString()}");
        config = config with { Raw = (JsonObject)json.DeepClone(), InitializerRange = r.OptionalDouble("initializer_range") ?? 0.02 };
        config.Validate(path);
        if (family.ParseValidated is { } finish) config = finish(config, path);
        // Last, so a malformed value is named by its own check first; a well-formed one Subclone would compute as a
        // different function is refused.
        ForwardFields.RefuseUnimplemented(json, family, path);
        return config;
    }

    /// <summary>Throws a one-line <see cref="CheckpointException"/>, naming the config.json field, for shapes no model can have.</summary>
    public void Validate(string path)
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new CheckpointException(path, $"field '{field}' must be positive, got {value}");
        }
        var keys = Family.Keys;
        Family.Validate?.Invoke(this, path);
        Positive(Hidden, keys.Hidden); Positive(Layers, keys.Layers); Positive(Heads, keys.Heads);
        Positive(KvHeads, keys.KvHeadsOrHeads); Positive(Ffn, keys.Ffn);
        if (keys.Vocab is { } vocab) Positive(Vocab, vocab);
        if (keys.MaxPositions is { } positions) Positive(MaxPositions, positions);
        if (Heads % KvHeads != 0) throw new CheckpointException(path, $"field '{keys.KvHeadsOrHeads}' ({KvHeads}) does not divide '{keys.Heads}' ({Heads})");
        if (!Family.FreeHeadDim && Hidden % Heads != 0)
            throw new CheckpointException(path, $"field '{keys.Heads}' ({Heads}) does not divide '{keys.Hidden}' ({Hidden})");
        Positive(HeadDim, keys.HeadDim ?? "head_dim");
        if (NormEps <= 0 || double.IsNaN(NormEps))
            throw new CheckpointException(path, $"field '{keys.NormEps}' must be positive, got {NormEps}");
        // Checked here so an unknown activation fails at load, not in the middle of the first forward pass.
        if (!Activations.IsSupported(Activation))
            throw new CheckpointException(path, $"field '{keys.Activation}' value '{Activation}' is not supported");
    }

    /// <summary>
    /// This config with its per-block fields (<see cref="ModelFamily.PerLayerFields"/>) rewritten for a model whose block i
    /// is block <paramref name="layerMap"/>[i] of a <paramref name="parentLayers"/>-block parent, so each kept or
    /// duplicated block keeps its attention type. Unchanged (the same <see cref="Raw"/>) when no such field is present.
    /// </summary>
    public ModelConfig WithLayerMap(IReadOnlyList<int> layerMap, int parentLayers)
    {
        var fields = Family.PerLayerFields.Where(f => f.AppliesTo(Raw)).ToList();
        if (fields.Count == 0) return this;
        var raw = (JsonObject)Raw.DeepClone();
        foreach (var field in fields) field.Rewrite(raw, layerMap, parentLayers);
        return this with { Raw = raw };
    }

    /// <summary>config.json for this shape: the original fields with every shape field overwritten.</summary>
    public JsonObject ToJson(TorchSharp.torch.ScalarType dtype)
    {
        var json = (JsonObject)Raw.DeepClone();
        json["model_type"] = ModelType;
        json["architectures"] = new JsonArray(ArchitectureName);
        Family.WriteConfig(this, json);
        json["torch_dtype"] = TorchDtypeName.Of(dtype);
        // transformers ≥ 4.56 writes "dtype" instead; where the original has it, it must not contradict the weights.
        if (json.ContainsKey("dtype")) json["dtype"] = TorchDtypeName.Of(dtype);
        return json;
    }
}
