using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models.Families;

namespace Subclone.Models;

/// <summary>
/// The shape of a transformer in architecture-neutral terms, parsed from (and written back to) a Hugging Face
/// config.json. The parsed JSON is kept in <see cref="Raw"/> so fields Subclone does not model (token ids,
/// rope_scaling, generation settings) survive into a child's config unchanged.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The model family, which decides the module classes and the slicing table.</summary>
    public required Architecture Architecture { get; init; }
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
    /// <summary>Output classes of the head: the vocabulary for text models; for ViT the number of labels
    /// (so every family's head is [Vocab, D] and code that sizes outputs needs no special case).</summary>
    public required int Vocab { get; init; }
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
    /// <summary>ViT: number of classes (len(id2label)); equals <see cref="Vocab"/>. Zero for text models.</summary>
    public int Labels { get; init; }
    /// <summary>Standard deviation of Hugging Face's random weight initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>The config.json this shape was parsed from (a copy), carried into children and saved checkpoints.</summary>
    public JsonObject Raw { get; init; } = new();

    /// <summary>GPT-2 and the Llama family: models that predict the next token.</summary>
    public bool IsDecoder => Architecture is Architecture.Gpt2 or Architecture.Llama or Architecture.Phi3 or Architecture.GptNeoX;

    /// <summary>ViT's patches per image: (image_size / patch_size)², rounded down as the strided convolution does.</summary>
    public int Patches => PatchSize > 0 ? (ImageSize / PatchSize) * (ImageSize / PatchSize) : 0;

    /// <summary>A class's name from id2label, or HF's default LABEL_i where the config has none.</summary>
    public string LabelName(int index) =>
        Raw["id2label"] is JsonObject names && names[index.ToString(System.Globalization.CultureInfo.InvariantCulture)] is JsonValue v
            && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : $"LABEL_{index}";

    /// <summary>The class name Hugging Face's from_pretrained instantiates.</summary>
    public string ArchitectureName => (Raw["architectures"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? ModelType switch
    {
        "gpt2" => "GPT2LMHeadModel",
        "llama" => "LlamaForCausalLM",
        "mistral" => "MistralForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        "phi3" => "Phi3ForCausalLM",
        "gpt_neox" => "GPTNeoXForCausalLM",
        "bert" => "BertModel",
        "vit" => "ViTForImageClassification",
        _ => throw new InvalidOperationException($"unknown model_type {ModelType}"),
    };

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
        var config = modelType switch
        {
            "gpt2" => ParseGpt2(r),
            "llama" or "mistral" or "qwen2" => ParseLlama(r, modelType),
            "bert" => ParseBert(r),
            "vit" => ParseVit(r, json, path),
            "phi3" => Phi3Config.Parse(r, json, path),
            "gpt_neox" => GptNeoXConfig.Parse(r, json, path),
            _ => throw new CheckpointException(path, $"model_type '{modelType}' is not supported (gpt2, llama, mistral, qwen2, bert, vit, phi3, gpt_neox)"),
        };
        // Read here, not where used, so a malformed value is reported as config.json's fault.
        if (json["architectures"] is { } architectures
            && (architectures is not JsonArray list || list.Count == 0 || list.Any(a => a is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)))
            throw new CheckpointException(path, $"field 'architectures' must be a list of class names, got {architectures.ToJsonString()}");
        config = config with { Raw = (JsonObject)json.DeepClone(), InitializerRange = r.OptionalDouble("initializer_range") ?? 0.02 };
        config.Validate(path);
        if (config.Architecture == Architecture.Llama) config = config with { Rope = RopeParametersReader.Read(json, path, config.HeadDim, config.MaxPositions) };
        return config;
    }

    static ModelConfig ParseGpt2(ConfigReader r)
    {
        int hidden = r.Int("n_embd"), heads = r.Int("n_head");
        return new ModelConfig
        {
            Architecture = Architecture.Gpt2, ModelType = "gpt2",
            Hidden = hidden, Layers = r.Int("n_layer"), Heads = heads, KvHeads = heads,
            HeadDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0,
            Ffn = r.OptionalInt("n_inner") ?? 4 * hidden,
            Vocab = r.Int("vocab_size"), MaxPositions = r.Int("n_positions"),
            NormEps = r.OptionalDouble("layer_norm_epsilon") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? true,
            Activation = r.OptionalString("activation_function") ?? "gelu_new",
            AttentionBias = true, MlpBias = true,
        };
    }

    static ModelConfig ParseLlama(ConfigReader r, string modelType)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        return new ModelConfig
        {
            Architecture = Architecture.Llama, ModelType = modelType,
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads,
            KvHeads = r.OptionalInt("num_key_value_heads") ?? heads,
            HeadDim = r.OptionalInt("head_dim") ?? (heads > 0 && hidden % heads == 0 ? hidden / heads : 0),
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? 2048,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? false,
            RopeTheta = r.OptionalDouble("rope_theta") ?? 10000,
            // Qwen2 always has q/k/v biases (and no o bias); Llama and Mistral only with attention_bias.
            AttentionBias = modelType == "qwen2" || (r.OptionalBool("attention_bias") ?? false),
            MlpBias = r.OptionalBool("mlp_bias") ?? false,
            Activation = r.OptionalString("hidden_act") ?? "silu",
        };
    }

    static ModelConfig ParseBert(ConfigReader r)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        return new ModelConfig
        {
            Architecture = Architecture.Bert, ModelType = "bert",
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads, KvHeads = heads,
            HeadDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? 512,
            TypeVocab = r.OptionalInt("type_vocab_size") ?? 2,
            NormEps = r.OptionalDouble("layer_norm_eps") ?? 1e-12,
            Activation = r.OptionalString("hidden_act") ?? "gelu",
            AttentionBias = true, MlpBias = true,
        };
    }

    /// <summary>ViTConfig's fields, with its defaults where a field is absent (save_pretrained writes them all).</summary>
    static ModelConfig ParseVit(ConfigReader r, JsonObject json, string path)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int image = r.OptionalInt("image_size") ?? 224, patch = r.OptionalInt("patch_size") ?? 16;
        int labels = VitLabelCount(r, json, path);
        int side = patch > 0 ? image / patch : 0;
        // side² + 1 positions must be an int; 65536² would wrap to 0 and describe a model with no patches.
        if ((long)side * side + 1 > int.MaxValue)
            throw new CheckpointException(path, $"field 'image_size' ({image}) / 'patch_size' ({patch}) gives {(long)side * side} patches, too many to count");
        return new ModelConfig
        {
            Architecture = Architecture.Vit, ModelType = "vit",
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads, KvHeads = heads,
            HeadDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0,
            Ffn = r.Int("intermediate_size"),
            ImageSize = image, PatchSize = patch, Channels = r.OptionalInt("num_channels") ?? 3,
            Labels = labels, Vocab = labels,
            MaxPositions = side * side + 1,
            NormEps = r.OptionalDouble("layer_norm_eps") ?? 1e-12,
            Activation = r.OptionalString("hidden_act") ?? "gelu",
            AttentionBias = r.OptionalBool("qkv_bias") ?? true, MlpBias = true,
        };
    }

    /// <summary>As PretrainedConfig does: id2label's size wins over num_labels, which defaults to 2.</summary>
    static int VitLabelCount(ConfigReader r, JsonObject json, string path)
    {
        if (json["id2label"] is not { } node) return r.OptionalInt("num_labels") ?? 2;
        if (node is not JsonObject names)
            throw new CheckpointException(path, $"field 'id2label' must be an object of class index → name, got {node.ToJsonString()}");
        // The classifier's rows are the classes 0..n-1; a gap or a non-numeric key leaves a row without a name.
        var expected = Enumerable.Range(0, names.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!names.Select(kv => kv.Key).Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)))
            throw new CheckpointException(path, $"field 'id2label' must have the keys 0..{names.Count - 1}, got {string.Join(", ", names.Select(kv => kv.Key))}");
        return names.Count;
    }

    /// <summary>Throws a one-line <see cref="CheckpointException"/>, naming the config.json field, for shapes no model can have.</summary>
    public void Validate(string path)
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new CheckpointException(path, $"field '{field}' must be positive, got {value}");
        }
        bool gpt2 = Architecture == Architecture.Gpt2;
        if (Architecture == Architecture.Vit)
        {
            // Checked first so a bad image shape is named by its own field, not by the positions it implies.
            Positive(ImageSize, "image_size"); Positive(PatchSize, "patch_size"); Positive(Channels, "num_channels");
            Positive(Labels, "num_labels");
            if (PatchSize > ImageSize) throw new CheckpointException(path, $"field 'patch_size' ({PatchSize}) exceeds 'image_size' ({ImageSize})");
        }
        string hidden = gpt2 ? "n_embd" : "hidden_size", heads = gpt2 ? "n_head" : "num_attention_heads";
        string kvHeads = Architecture is Architecture.Llama or Architecture.Phi3 ? "num_key_value_heads" : heads;
        Positive(Hidden, hidden); Positive(Layers, gpt2 ? "n_layer" : "num_hidden_layers"); Positive(Heads, heads);
        Positive(KvHeads, kvHeads); Positive(Ffn, gpt2 ? "n_inner" : "intermediate_size"); Positive(Vocab, "vocab_size");
        Positive(MaxPositions, gpt2 ? "n_positions" : "max_position_embeddings");
        if (Heads % KvHeads != 0) throw new CheckpointException(path, $"field '{kvHeads}' ({KvHeads}) does not divide '{heads}' ({Heads})");
        if (Architecture != Architecture.Llama && Hidden % Heads != 0)
            throw new CheckpointException(path, $"field '{heads}' ({Heads}) does not divide '{hidden}' ({Hidden})");
        Positive(HeadDim, "head_dim");
        if (HeadDim % 2 != 0 && Architecture == Architecture.Llama) throw new CheckpointException(path, $"field 'head_dim' ({HeadDim}) must be even for rotary embeddings");
        if (NormEps <= 0 || double.IsNaN(NormEps))
            throw new CheckpointException(path, $"field '{Architecture switch { Architecture.Gpt2 => "layer_norm_epsilon", Architecture.Llama or Architecture.Phi3 => "rms_norm_eps", _ => "layer_norm_eps" }}' must be positive, got {NormEps}");
        // Checked here so an unknown activation fails at load, not in the middle of the first forward pass.
        if (!Activations.IsSupported(Activation))
            throw new CheckpointException(path, $"field '{(gpt2 ? "activation_function" : "hidden_act")}' value '{Activation}' is not supported");
    }

    /// <summary>config.json for this shape: the original fields with every shape field overwritten.</summary>
    public JsonObject ToJson(TorchSharp.torch.ScalarType dtype)
    {
        var json = (JsonObject)Raw.DeepClone();
        json["model_type"] = ModelType;
        json["architectures"] = new JsonArray(ArchitectureName);
        switch (Architecture)
        {
            case Architecture.Gpt2:
                json["n_embd"] = Hidden; json["n_layer"] = Layers; json["n_head"] = Heads; json["n_inner"] = Ffn;
                json["vocab_size"] = Vocab; json["n_positions"] = MaxPositions;
                json["n_ctx"] = (json["n_ctx"] is null) ? MaxPositions : json["n_ctx"]!.DeepClone();
                json["layer_norm_epsilon"] = NormEps; json["activation_function"] = Activation;
                json["tie_word_embeddings"] = TieWordEmbeddings;
                break;
            case Architecture.Llama:
                json["hidden_size"] = Hidden; json["num_hidden_layers"] = Layers; json["num_attention_heads"] = Heads;
                json["num_key_value_heads"] = KvHeads; json["head_dim"] = HeadDim; json["intermediate_size"] = Ffn;
                json["vocab_size"] = Vocab; json["max_position_embeddings"] = MaxPositions; json["rms_norm_eps"] = NormEps;
                json["hidden_act"] = Activation; json["tie_word_embeddings"] = TieWordEmbeddings;
                if (!json.ContainsKey("rope_parameters")) json["rope_theta"] = RopeTheta;  // v5 keeps θ inside rope_parameters
                if (ModelType != "qwen2") json["attention_bias"] = AttentionBias;
                if (ModelType == "llama") json["mlp_bias"] = MlpBias;
                break;
            case Architecture.Phi3:
                Phi3Config.Write(this, json);
                break;
            case Architecture.GptNeoX:
                GptNeoXConfig.Write(this, json);
                break;
            case Architecture.Bert:
                json["hidden_size"] = Hidden; json["num_hidden_layers"] = Layers; json["num_attention_heads"] = Heads;
                json["intermediate_size"] = Ffn; json["vocab_size"] = Vocab; json["max_position_embeddings"] = MaxPositions;
                json["type_vocab_size"] = TypeVocab; json["layer_norm_eps"] = NormEps; json["hidden_act"] = Activation;
                json["position_embedding_type"] ??= "absolute";
                break;
            case Architecture.Vit:
                json["hidden_size"] = Hidden; json["num_hidden_layers"] = Layers; json["num_attention_heads"] = Heads;
                json["intermediate_size"] = Ffn; json["image_size"] = ImageSize; json["patch_size"] = PatchSize;
                json["num_channels"] = Channels; json["layer_norm_eps"] = NormEps; json["hidden_act"] = Activation;
                json["qkv_bias"] = AttentionBias;
                // Names travel unchanged from the parent; a config built without them gets HF's defaults.
                if (json["id2label"] is not JsonObject names || names.Count != Labels)
                {
                    json["id2label"] = new JsonObject(Enumerable.Range(0, Labels).Select(i =>
                        KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)$"LABEL_{i}")));
                    json["label2id"] = new JsonObject(Enumerable.Range(0, Labels).Select(i => KeyValuePair.Create($"LABEL_{i}", (JsonNode?)i)));
                }
                if (json.ContainsKey("num_labels")) json["num_labels"] = Labels;
                break;
        }
        json["torch_dtype"] = SafeTensorsDtype.TorchName(dtype);
        // transformers ≥ 4.56 writes "dtype" instead; where the original has it, it must not contradict the weights.
        if (json.ContainsKey("dtype")) json["dtype"] = SafeTensorsDtype.TorchName(dtype);
        return json;
    }
}
