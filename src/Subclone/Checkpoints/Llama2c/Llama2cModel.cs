using TorchSharp;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// An imported llama2.c checkpoint: float32 tensors under Hugging Face <c>LlamaForCausalLM</c> state-dict names
/// (q/k already permuted to rotate-half RoPE) and the shape they describe. Owns the tensors.
/// </summary>
public sealed class Llama2cModel : IDisposable
{
    public Llama2cModel(Llama2cShape shape, IReadOnlyDictionary<string, torch.Tensor> tensors)
    {
        Shape = shape;
        Tensors = tensors;
    }

    public Llama2cShape Shape { get; }

    public IReadOnlyDictionary<string, torch.Tensor> Tensors { get; }

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
    }
}
