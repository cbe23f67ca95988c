namespace Subclone.Inference;

/// <summary>
/// How <see cref="TextGenerator"/> runs the model. <paramref name="UseCache"/>: keep every layer's keys and values
/// (<see cref="Models.KvCache"/>) so each new token costs one token's forward; false recomputes the whole context for
/// every token (the reference the cache is tested against). <paramref name="MaxContext"/>: the most tokens the model
/// reads before each prediction (<c>--max-context</c>); see <see cref="ContextWindow"/> for what that means per family.
/// </summary>
public sealed record GenerationOptions(bool UseCache = true, int? MaxContext = null);
