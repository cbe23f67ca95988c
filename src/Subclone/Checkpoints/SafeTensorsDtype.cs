using TorchSharp;

namespace Subclone.Checkpoints;

/// <summary>The dtype names safetensors uses in its header, and their sizes.</summary>
public static class SafeTensorsDtype
{
    static readonly (string Name, torch.ScalarType Type, int Size)[] Known =
    [
        ("F32", torch.ScalarType.Float32, 4),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("F64", torch.ScalarType.Float64, 8),
        ("I64", torch.ScalarType.Int64, 8),
        ("I32", torch.ScalarType.Int32, 4),
        ("I16", torch.ScalarType.Int16, 2),
        ("I8", torch.ScalarType.Int8, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("BOOL", torch.ScalarType.Bool, 1),
    ];

    /// <summary>The dtype of a header's name (F32, BF16, …); false for names Subclone does not know.</summary>
    public static bool TryParse(string name, out torch.ScalarType type)
    {
        foreach (var k in Known)
            if (k.Name == name) { type = k.Type; return true; }
        type = default;
        return false;
    }

    /// <summary>The header name of <paramref name="type"/>.</summary>
    public static string NameOf(torch.ScalarType type) =>
        Known.FirstOrDefault(k => k.Type == type).Name ?? throw new ArgumentException($"safetensors has no dtype for {type}");

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int SizeOf(torch.ScalarType type) =>
        Known.FirstOrDefault(k => k.Type == type) is { Name: not null } k ? k.Size : throw new ArgumentException($"safetensors has no dtype for {type}");

    /// <summary>The name Hugging Face writes in config.json's torch_dtype (<see cref="Models.TorchDtypeName.Of"/>).</summary>
    public static string TorchName(torch.ScalarType type) => Models.TorchDtypeName.Of(type);

    /// <summary>A weight dtype from its torch name or a short form (<see cref="Models.TorchDtypeName.Parse"/>).</summary>
    public static torch.ScalarType FromTorchName(string name) => Models.TorchDtypeName.Parse(name);
}
