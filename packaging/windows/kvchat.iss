; Inno Setup script for KV Chat on Windows (64-bit).
; Build the one-folder app first (pyinstaller packaging\kvchat.spec --distpath build\dist), then:
;     iscc /DAppVersion=0.1.0 packaging\windows\kvchat.iss      ->  build\kvchat-0.1.0-windows-x64-setup.exe
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "KV Chat"
#define AppId "io.github.kvchat.KVChat"

[Setup]
AppId={{6A1E2C3B-7D4F-4B8E-9C21-5E0B7A3F9D14}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=KV Chat developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default; an administrator may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build
OutputBaseFilename=kvchat-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\kvchat.ico
UninstallDisplayIcon={app}\kvchat.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: kvchat.exe needs the _internal folder beside it.
Source: "..\..\build\dist\kvchat\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\kvchat.exe"; AppUserModelID: "{#AppId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\kvchat.exe"; AppUserModelID: "{#AppId}"; Tasks: desktopicon

[Run]
Filename: "{app}\kvchat.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
