namespace Subclone.Models;

/// <summary>The model families Subclone implements. Mistral and Qwen2 are Llama-family variants.</summary>
public enum Architecture
{
    /// <summary>GPT-2: learned positions, LayerNorm, fused q/k/v in Conv1D layout, GELU MLP.</summary>
    Gpt2,
    /// <summary>Llama, Mistral and Qwen2: rotary positions, RMSNorm, grouped KV heads, gated SiLU MLP.</summary>
    Llama,
    /// <summary>BERT encoders (sentence embeddings): post-LayerNorm blocks, padding mask.</summary>
    Bert,
    /// <summary>ViT image classifiers: patch embeddings, a [CLS] token and a linear classifier.</summary>
    Vit,
    /// <summary>Phi-3 / Phi-4-mini: Llama's block with fused qkv_proj and gate_up_proj, partial rotary embeddings.</summary>
    Phi3,
    /// <summary>GPT-NeoX / Pythia: per-head fused query_key_value, partial rotary, LayerNorm, parallel residual.</summary>
    GptNeoX,
}
