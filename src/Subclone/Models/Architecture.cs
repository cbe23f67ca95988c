namespace Subclone.Models;

/// <summary>The model families Subclone implements. Mistral and Qwen2 are Llama-family variants.</summary>
public enum Architecture
{
    /// <summary>GPT-2: learned positions, LayerNorm, fused q/k/v in Conv1D layout, GELU MLP.</summary>
    Gpt2,
    /// <summary>Llama, Mistral and Qwen2: rotary positions, RMSNorm, grouped KV heads, gated SiLU MLP.</summary>
    Llama,
    /// <summary>Gemma 2 and Gemma 3 text: (1+w) RMSNorm sandwiches, GeGLU, √hidden embeddings, soft-capping, sliding windows.</summary>
    Gemma,
    /// <summary>BERT encoders (sentence embeddings): post-LayerNorm blocks, padding mask.</summary>
    Bert,
    /// <summary>ViT image classifiers: patch embeddings, a [CLS] token and a linear classifier.</summary>
    Vit,
}
