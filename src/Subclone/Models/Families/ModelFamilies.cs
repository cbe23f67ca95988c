namespace Subclone.Models.Families;

/// <summary>The registry: every family Subclone implements, found by config.json's model_type.</summary>
public static class ModelFamilies
{
    /// <summary>Every family, in the order errors list them. A new family adds its descriptor here (one line).</summary>
    public static IReadOnlyList<ModelFamily> All { get; } =
    [
        Gpt2Family.Descriptor,
        LlamaFamily.Descriptor,
        MistralFamily.Descriptor,
        Qwen2Family.Descriptor,
        Qwen3Family.Descriptor,
        Olmo2Family.Descriptor,
        Gemma2Family.Descriptor,
        Gemma3Family.Descriptor,
        MixtralFamily.Descriptor,
        Qwen3MoeFamily.Descriptor,
        OlmoeFamily.Descriptor,
        BertFamily.Descriptor,
        VitFamily.Descriptor,
        Phi3Family.Descriptor,
        GptNeoXFamily.Descriptor,
    ];

    /// <summary>The family parsing <paramref name="modelType"/>, or null when none does.</summary>
    public static ModelFamily? Find(string modelType) => All.FirstOrDefault(f => f.ModelTypes.Contains(modelType));

    /// <summary>Every supported model_type, comma-separated, for error messages.</summary>
    public static string SupportedModelTypes => string.Join(", ", All.SelectMany(f => f.ModelTypes));
}
