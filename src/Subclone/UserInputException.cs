namespace Subclone;

/// <summary>A request that cannot be carried out as given (impossible shape, unknown option value): one line for the user.</summary>
public sealed class UserInputException(string message) : Exception(message);
