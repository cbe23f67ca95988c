using System.Text.Json.Nodes;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>BertModel (the encoder sentence-embedding models use): post-LayerNorm blocks, an optional pooler.</summary>
public static class BertFamily
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, F = AxisRole.Ffn;
    static bool Always(ModelConfig c) => true;
    const string Block = "encoder.layer.{layer}.";

    /// <summary>BERT's descriptor.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "BERT", ModelTypes = ["bert"], ClassName = "BertModel", Kind = FamilyKind.Encoder,
        Keys = ConfigKeys.Standard,
        BlockPrefix = Block,
        LearnedPositions = true, OptionalPart = "pooler.",
        Parameters =
        [
            Embedding("embeddings.word_embeddings.weight", c => c.Vocab),
            Embedding("embeddings.position_embeddings.weight", c => c.MaxPositions),
            Embedding("embeddings.token_type_embeddings.weight", c => c.TypeVocab),
            .. Norm("embeddings.LayerNorm", withBias: true),
            .. Linear(Block + "attention.self.query", H, R, Always),
            .. Linear(Block + "attention.self.key", H, R, Always),
            .. Linear(Block + "attention.self.value", H, R, Always),
            .. Linear(Block + "attention.output.dense", R, H, Always),
            .. Norm(Block + "attention.output.LayerNorm", withBias: true),
            .. Linear(Block + "intermediate.dense", F, R, Always),
            .. Linear(Block + "output.dense", R, F, Always),
            .. Norm(Block + "output.LayerNorm", withBias: true),
            .. Linear("pooler.dense", R, R, Always).Select(r => r with { Optional = true }),
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = (_, key) => CanonicalKey(key),
        Create = (c, withPooler) => new BertModel(c, withPooler),
        Blockwise = c => new BlockwiseForward.Bert(c),
    };

    static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
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

    static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["intermediate_size"] = c.Ffn; json["vocab_size"] = c.Vocab; json["max_position_embeddings"] = c.MaxPositions;
        json["type_vocab_size"] = c.TypeVocab; json["layer_norm_eps"] = c.NormEps; json["hidden_act"] = c.Activation;
        json["position_embedding_type"] ??= "absolute";
    }

    static string? CanonicalKey(string fileKey)
    {
        if (fileKey.EndsWith("position_ids")) return null;  // a buffer older checkpoints saved
        if (fileKey.StartsWith("bert.")) fileKey = fileKey["bert.".Length..];
        if (fileKey.StartsWith("cls.")) return null;  // pretraining heads are not part of BertModel
        return fileKey;
    }
}
