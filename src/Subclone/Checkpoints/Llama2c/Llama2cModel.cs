using TorchSharp;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// An imported llama2.c checkpoint: float32 tensors under Hugging Face <c>LlamaForCausalLM</c> state-dict names
/// (q/k already permuted to rotate-half RoPE) and the shape they describe. Owns the tensors.
/// </summary>
public sealed class Llama2cModel : IDisposable
{
    /// <summary>Takes ownership of <paramref name="tensors"/>.</summary>
    public Llama2cModel(Llama2cShape shape, IReadOnlyDictionary<string, torch.Tensor> tensors)
    {
        Shape = shape;
        Tensors = tensors;
    }

    /// <summary>The shape the file's header gives.</summary>
    public Llama2cShape Shape { get; }

    /// <summary>The weights, float32, under HF names.</summary>
    public IReadOnlyDictionary<string, torch.Tensor> Tensors { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
    }
}
