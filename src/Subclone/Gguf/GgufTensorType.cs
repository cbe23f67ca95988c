namespace Subclone.Gguf;

/// <summary>The ggml tensor types an export writes, with ggml's numbering (ggml.h's enum ggml_type).</summary>
public enum GgufTensorType : uint
{
    /// <summary>IEEE float32.</summary>
    F32 = 0,
    /// <summary>IEEE float16.</summary>
    F16 = 1,
    /// <summary>Blocks of 32 int8 values sharing one float16 scale (34 bytes per block).</summary>
    Q8_0 = 8,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>The <c>--dtype</c> of a GGUF export: the type of its matrices (1-D tensors stay float32, as llama.cpp's converter keeps them).</summary>
public static class GgufDtype
{
    /// <summary>Parses f32, f16, bf16 or q8_0; anything else is a <see cref="UserInputException"/>.</summary>
    public static GgufTensorType Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" or "float32" => GgufTensorType.F32,
        "f16" or "float16" => GgufTensorType.F16,
        "bf16" or "bfloat16" => GgufTensorType.BF16,
        "q8_0" => GgufTensorType.Q8_0,
        _ => throw new UserInputException($"--dtype: '{name}' is not a GGUF export type (f32, f16, bf16, q8_0)"),
    };

    /// <summary>general.file_type (llama.cpp's LLAMA_FTYPE_*) for a model whose matrices are <paramref name="type"/>.</summary>
    public static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 0, GgufTensorType.F16 => 1, GgufTensorType.Q8_0 => 7, GgufTensorType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
