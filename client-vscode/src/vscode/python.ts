// The interpreter of the Python environment selected in the Python extension, if any.
import * as vscode from "vscode";

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
  resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable: { uri: vscode.Uri | undefined } } | undefined>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
}

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  return Promise.race([Promise.resolve(promise), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

export async function pythonExecutable(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await withTimeout(extension.activate(), 10_000);
    const environments = api?.environments;
    if (!environments) return undefined;
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await withTimeout(environments.resolveEnvironment(active), 10_000);
    const file = resolved?.executable.uri?.fsPath;
    if (file) log.info(`selected Python environment: ${file}`);
    return file;
  } catch (error) {
    log.warn(`could not read the selected Python environment: ${String(error)}`);
    return undefined;
  }
}
