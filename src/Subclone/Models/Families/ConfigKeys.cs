namespace Subclone.Models.Families;

/// <summary>
/// The config.json key of each neutral shape field, as Hugging Face's <c>attribute_map</c> names them (GPT-2's
/// hidden width is <c>n_embd</c>, Llama's <c>hidden_size</c>). Errors name these keys; a null key is a field the
/// family's config does not have (ViT has no vocabulary, GPT-2 no separate KV heads).
/// </summary>
public sealed record ConfigKeys
{
    /// <summary>The keys most Hugging Face configs use (BERT's, Llama's).</summary>
    public static ConfigKeys Standard { get; } = new();

    /// <summary>Residual width.</summary>
    public string Hidden { get; init; } = "hidden_size";
    /// <summary>Number of blocks.</summary>
    public string Layers { get; init; } = "num_hidden_layers";
    /// <summary>Query heads.</summary>
    public string Heads { get; init; } = "num_attention_heads";
    /// <summary>Key/value heads; null when they always equal the query heads.</summary>
    public string? KvHeads { get; init; }
    /// <summary>Head width, where the config may set it apart from hidden / heads.</summary>
    public string? HeadDim { get; init; }
    /// <summary>FFN width.</summary>
    public string Ffn { get; init; } = "intermediate_size";
    /// <summary>Vocabulary; null for image models.</summary>
    public string? Vocab { get; init; } = "vocab_size";
    /// <summary>Maximum positions; null where the shape implies them (ViT's patches).</summary>
    public string? MaxPositions { get; init; } = "max_position_embeddings";
    /// <summary>Norm epsilon.</summary>
    public string NormEps { get; init; } = "layer_norm_eps";
    /// <summary>FFN activation.</summary>
    public string Activation { get; init; } = "hidden_act";

    /// <summary>The key KV heads are reported under: their own, or the query heads' when they are not separate.</summary>
    public string KvHeadsOrHeads => KvHeads ?? Heads;
}
