using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Tests.Support;

/// <summary>Assertions on whole models' parameters.</summary>
public static class ModelAssert
{
    /// <summary>Same parameter names, and every parameter has the same dtype, shape and bytes.</summary>
    public static void BitIdentical(TransformerModel expected, TransformerModel actual)
    {
        var e = expected.state_dict();
        var a = actual.state_dict();
        Assert.Equal(e.Keys.Order(StringComparer.Ordinal), a.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in e)
            Assert.True(BitEqual(tensor, a[name]), $"parameter '{name}' differs");
    }

    /// <summary>Same dtype, shape and bytes: unlike torch.equal on floats, -0.0 differs from 0.0 and NaN equals itself.</summary>
    public static bool BitEqual(Tensor expected, Tensor actual)
    {
        if (expected.dtype != actual.dtype || !expected.shape.SequenceEqual(actual.shape)) return false;
        using var scope = NewDisposeScope();
        return expected.detach().contiguous().bytes.SequenceEqual(actual.detach().contiguous().bytes);
    }
}
