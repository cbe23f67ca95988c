namespace Subclone.Models;

/// <summary>The model families Subclone implements. Mistral and Qwen2 are Llama-family variants.</summary>
public enum Architecture { Gpt2, Llama, Bert, Vit }
