using TorchSharp;

namespace Subclone.Models;

/// <summary>The names Hugging Face gives weight dtypes in config.json (torch_dtype / dtype) and the CLI's short forms.</summary>
public static class TorchDtypeName
{
    /// <summary>The name Hugging Face writes in config.json's torch_dtype.</summary>
    public static string Of(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.Float16 => "float16",
        torch.ScalarType.BFloat16 => "bfloat16",
        _ => throw new ArgumentException($"not a model weight dtype: {type}"),
    };

    /// <summary>A weight dtype from its torch name (float32, bfloat16, …) or the short forms the CLI takes (f32, bf16, fp16).</summary>
    public static torch.ScalarType Parse(string name) => name switch
    {
        "float32" or "f32" or "fp32" => torch.ScalarType.Float32,
        "float16" or "f16" or "fp16" => torch.ScalarType.Float16,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        _ => throw new ArgumentException($"unknown dtype '{name}' (expected float32, float16 or bfloat16)"),
    };
}
